/* kc-kerio-scrub.h: secrets out of captured traffic, and customers' data
 *
 * A capture of what the PBX answers must be safe to send to us. Secrets
 * always go: every "password" and "token" member's string value becomes
 * "<redacted>", and so does the value of every cookie a Set-Cookie header
 * sets. With anonymization, customers' data goes too: every phone number
 * becomes a fake of the same shape (a leading "+" and any separators kept,
 * the same count of digits; the same real number always the same fake, two
 * different numbers never the same fake), every person's name "Person N",
 * and a run of 7 or more digits inside any other string the fake of that
 * number. Times and call ids stay, so that a capture replays.
 *
 * JSON is rewritten in one pass over its text, not parsed and written
 * again: what is not replaced stays byte for byte what the PBX sent, and a
 * body cut off half-way is scrubbed as far as it goes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define KC_KERIO_REDACTED "<redacted>"

typedef struct _KcKerioScrubber KcKerioScrubber;

/* anonymize: also replace phone numbers and names. The mapping lives as
 * long as the scrubber and is never written anywhere. */
KcKerioScrubber *kc_kerio_scrubber_new             (gboolean         anonymize);
void             kc_kerio_scrubber_free            (KcKerioScrubber *self);
gboolean         kc_kerio_scrubber_get_anonymize   (KcKerioScrubber *self);

/* A body as the PBX sent it (any bytes, any length) -> valid UTF-8 text:
 * JSON (anything whose first character is "{" or "[") member by member as
 * above; any other text, when anonymizing, with its runs of 7+ digits
 * replaced. */
char            *kc_kerio_scrubber_scrub_body      (KcKerioScrubber *self,
                                                    const char      *body,
                                                    gsize            length);
/* Free text (an error message): runs of 7+ digits, when anonymizing */
char            *kc_kerio_scrubber_scrub_text      (KcKerioScrubber *self,
                                                    const char      *text);
/* "NAME=VALUE; path=/; secure" -> "NAME=<redacted>; path=/; secure" */
char            *kc_kerio_scrub_set_cookie         (const char      *header);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KcKerioScrubber, kc_kerio_scrubber_free)

G_END_DECLS

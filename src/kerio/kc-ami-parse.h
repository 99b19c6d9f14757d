/* kc-ami-parse.h: the Asterisk Manager Interface on the wire, without I/O
 *
 * AMI is line based: the server greets with one line, "Asterisk Call
 * Manager/<version>", then every message is a block of "Key: Value" lines
 * ended by an empty line. The parser takes bytes as they arrive, in pieces
 * of any size, and hands out whole messages. It is tolerant where servers
 * differ and strict where a server could hurt us:
 *
 * - keys are matched without regard to case (kc_ami_message_get), keys and
 *   values are trimmed, CRLF and LF line ends are both fine;
 * - a block with a line that is not "Key: Value" (no colon, or nothing
 *   before it) is dropped whole, and the next block is read as usual;
 * - bytes that are not UTF-8 become U+FFFD, so every key and value is valid
 *   UTF-8;
 * - a line longer than KC_AMI_MAX_LINE bytes, or a block longer than
 *   KC_AMI_MAX_BLOCK bytes or KC_AMI_MAX_BLOCK_LINES lines, is an error
 *   (KC_KERIO_ERROR_TOO_LARGE): the connection is to end. Memory stays
 *   bounded by those limits whatever the server sends.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "kc-kerio-error.h"

G_BEGIN_DECLS

#define KC_AMI_MAX_LINE 8192
#define KC_AMI_MAX_BLOCK (64 * 1024)
#define KC_AMI_MAX_BLOCK_LINES 200

/* --- One message: an event, or the response to an action. Immutable,
 * reference counted. */
typedef struct _KcAmiMessage KcAmiMessage;

#define KC_TYPE_AMI_MESSAGE (kc_ami_message_get_type ())
GType         kc_ami_message_get_type     (void) G_GNUC_CONST;

KcAmiMessage *kc_ami_message_ref          (KcAmiMessage *message);
void          kc_ami_message_unref        (KcAmiMessage *message);
/* The value of the first field named `key`, in any case ("uniqueid" finds
 * "UniqueID"); NULL when there is none. */
const char   *kc_ami_message_get          (KcAmiMessage *message,
                                           const char   *key);
/* The "Event" field: NULL for a response */
const char   *kc_ami_message_get_event    (KcAmiMessage *message);
/* Whether this is the event `name`, in any case */
gboolean      kc_ami_message_is_event     (KcAmiMessage *message,
                                           const char   *name);
/* The fields in the order they came (a key may come twice) */
guint         kc_ami_message_get_n_fields (KcAmiMessage *message);
void          kc_ami_message_get_field    (KcAmiMessage *message,
                                           guint         index,
                                           const char  **key,
                                           const char  **value);
/* From key/value pairs, NULL-terminated; for tests and the simulator's
 * users */
KcAmiMessage *kc_ami_message_new          (const char *const *pairs);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KcAmiMessage, kc_ami_message_unref)

/* --- The parser */
typedef struct _KcAmiParser KcAmiParser;

KcAmiParser  *kc_ami_parser_new           (void);
void          kc_ami_parser_free          (KcAmiParser *parser);
/* Reads `size` bytes on from where the last call stopped. The first line
 * is the greeting (kc_ami_parser_get_greeting); each block completed is
 * appended to `messages` (KcAmiMessage, transfer full). Returns FALSE with
 * KC_KERIO_ERROR_TOO_LARGE when a limit is passed; the parser takes no more
 * bytes after that. */
gboolean      kc_ami_parser_feed          (KcAmiParser  *parser,
                                           const char   *data,
                                           gsize         size,
                                           GPtrArray    *messages,
                                           GError      **error);
/* The first line as it came (trimmed, valid UTF-8); NULL until it has */
const char   *kc_ami_parser_get_greeting  (KcAmiParser *parser);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KcAmiParser, kc_ami_parser_free)

/* "Asterisk Call Manager/1.3" -> "1.3"; NULL when the line is not an
 * Asterisk Manager Interface's greeting. */
char         *kc_ami_parse_greeting       (const char *line);

/* Appends an action to `out`: "Action: <action>", then each key/value pair
 * of `pairs` (NULL-terminated), then the empty line. No key or value may
 * hold a line break (it would start a field or an action of its own). */
void          kc_ami_format_action        (GString           *out,
                                           const char        *action,
                                           const char *const *pairs);
/* Whether `text` can go into an action as it is */
gboolean      kc_ami_text_is_safe         (const char *text);
/* The Key of an MD5 login: md5 (challenge + secret), lowercase hex */
char         *kc_ami_md5_key              (const char *challenge,
                                           const char *secret);

G_END_DECLS

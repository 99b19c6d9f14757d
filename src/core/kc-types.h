/* kc-types.h: the design's words — direction, live state, history status
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  KC_DIRECTION_INCOMING, /* "kiruvchi" */
  KC_DIRECTION_OUTGOING, /* "chiquvchi" */
} KcDirection;

typedef enum
{
  KC_CALL_STATE_RINGING,   /* "kelyapti" */
  KC_CALL_STATE_TALKING,   /* "suhbatda" */
  KC_CALL_STATE_FINISHED,  /* "yakunlandi": gone after being connected */
  KC_CALL_STATE_MISSED,    /* "javobsiz": gone without being connected */
} KcCallState;

typedef enum
{
  KC_CALL_STATUS_ANSWERED, /* "javob berildi" (CDR 4) */
  KC_CALL_STATUS_MISSED,   /* "javobsiz" (CDR 3, 6) */
  KC_CALL_STATUS_BUSY,     /* "band" (CDR 2) */
  KC_CALL_STATUS_FAILED,   /* "xatolik" (CDR 1, 5, and anything unknown) */
} KcCallStatus;

const char   *kc_direction_to_string    (KcDirection  direction);
gboolean      kc_direction_from_string  (const char  *text,
                                         KcDirection *out);
const char   *kc_call_state_to_string   (KcCallState  state);
gboolean      kc_call_state_is_final    (KcCallState  state);
const char   *kc_call_status_to_string  (KcCallStatus status);
gboolean      kc_call_status_from_string (const char   *text,
                                          KcCallStatus *out);
KcCallStatus  kc_call_status_from_kerio (int kerio_status);

/* The operator's point of view on a call between `from` and `to`.
 * extension set: a call to it is incoming, from it outgoing; returns FALSE
 * when neither end is the extension (not the operator's call). extension
 * NULL or empty: a call from a number with more than `extension_digits`
 * digits is incoming, else outgoing (always TRUE). */
gboolean      kc_classify_call          (const char  *from_number,
                                         const char  *to_number,
                                         const char  *extension,
                                         guint        extension_digits,
                                         KcDirection *direction);

/* Unix seconds <-> "2025-01-01T12:00:00Z" */
char         *kc_iso8601_from_unix      (gint64       unix_seconds);
gboolean      kc_iso8601_to_unix        (const char  *text,
                                         gint64      *out);

G_END_DECLS

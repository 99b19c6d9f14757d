/* kc-call-back.h: a caller still to be called back
 *
 * One caller whose missed calls have not been answered since: their number
 * and the time of each missed call (an attempt) since they were last
 * reached. Immutable; the store makes them (kc-store-call-back.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define KC_TYPE_CALL_BACK (kc_call_back_get_type ())
G_DECLARE_FINAL_TYPE (KcCallBack, kc_call_back, KC, CALL_BACK, GObject)

/* key: the number as the follow-up compares numbers; number: as the PBX
 * gave it in the last attempt; call_id: that attempt's; attempts: Unix
 * seconds, oldest first */
KcCallBack   *kc_call_back_new            (const char   *key,
                                           const char   *number,
                                           const char   *call_id,
                                           const gint64 *attempts,
                                           guint         n_attempts);
const char   *kc_call_back_get_key        (KcCallBack *self);
const char   *kc_call_back_get_number     (KcCallBack *self);
const char   *kc_call_back_get_call_id    (KcCallBack *self);
guint         kc_call_back_get_n_attempts (KcCallBack *self);
/* Oldest first */
gint64        kc_call_back_get_attempt    (KcCallBack *self,
                                           guint       index);
gint64        kc_call_back_get_last_attempt (KcCallBack *self);
/* Same caller, same attempts */
gboolean      kc_call_back_equal          (KcCallBack *self,
                                           KcCallBack *other);

G_END_DECLS

/* kc-call.h: one live call seen in Status.getCalls
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "kc-types.h"

G_BEGIN_DECLS

#define KC_TYPE_CALL (kc_call_get_type ())
G_DECLARE_FINAL_TYPE (KcCall, kc_call, KC, CALL, GObject)

KcCall      *kc_call_new             (const char  *call_id,
                                      const char  *from_number,
                                      const char  *from_name,
                                      const char  *to_number,
                                      const char  *to_name,
                                      KcDirection  direction,
                                      gint64       start_time);
const char  *kc_call_get_call_id     (KcCall *self);
const char  *kc_call_get_from_number (KcCall *self);
const char  *kc_call_get_from_name   (KcCall *self);
const char  *kc_call_get_to_number   (KcCall *self);
const char  *kc_call_get_to_name     (KcCall *self);
/* The operator's end: to_number for incoming calls, from_number for outgoing */
const char  *kc_call_get_extension   (KcCall *self);
KcDirection  kc_call_get_direction   (KcCall *self);
KcCallState  kc_call_get_state       (KcCall *self);
void         kc_call_set_state       (KcCall      *self,
                                      KcCallState  state);
/* Unix seconds, from the PBX's own clock (now - CALL_DURATION) */
gint64       kc_call_get_start_time  (KcCall *self);
/* Unix seconds when the call was first connected, 0 if never */
gint64       kc_call_get_answer_time (KcCall *self);
void         kc_call_set_answer_time (KcCall *self,
                                      gint64  answer_time);
/* Unix seconds when the call was seen gone, 0 while active */
gint64       kc_call_get_end_time    (KcCall *self);
void         kc_call_set_end_time    (KcCall *self,
                                      gint64  end_time);
/* The number that took the call when it was not this operator (a ring
 * group or queue answered by a colleague), or the extension a call to a
 * group was answered at; NULL when not known or not needed */
const char  *kc_call_get_answered_by (KcCall *self);
void         kc_call_set_answered_by (KcCall     *self,
                                      const char *number);
/* TRUE once the PBX's own record (its CDR) has overruled how the call
 * seemed to end live */
gboolean     kc_call_get_corrected   (KcCall *self);
void         kc_call_set_corrected   (KcCall   *self,
                                      gboolean  corrected);

G_END_DECLS

/* kc-call-back-list.h: the dashboard's "To call back"
 *
 * One row per caller still waiting to be called back: their number, the
 * time of each missed call since they were last reached, and a button to
 * mark them done. Activating a row shows their last missed call in the
 * history (app.show-call). A caller reached leaves the list by themselves.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "core/kc-follow-up.h"

G_BEGIN_DECLS

#define KC_TYPE_CALL_BACK_LIST (kc_call_back_list_get_type ())
G_DECLARE_FINAL_TYPE (KcCallBackList, kc_call_back_list, KC, CALL_BACK_LIST, GtkWidget)

void kc_call_back_list_set_follow_up (KcCallBackList *self,
                                      KcFollowUp     *follow_up);

/* "09:12", or "06.12 17:40" for another day than today: a bare time from
 * yesterday would read as today's */
char *kc_format_attempt_time (gint64 unix_seconds);

G_END_DECLS

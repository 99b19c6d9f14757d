/* kc-follow-up.h: the "to call back" list, live
 *
 * A GListModel of KcCallBack: the callers still waiting to be called back
 * (kc-store-call-back.h has the rules), the most recent last attempt first.
 * It reads the store again shortly after the store changes (a call ended, a
 * sync page came in) and after a caller is marked done, and tells of the
 * rows that changed with items-changed; the dashboard and the tray show the
 * same one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kc-call-back.h"
#include "kc-store.h"

G_BEGIN_DECLS

#define KC_TYPE_FOLLOW_UP (kc_follow_up_get_type ())
G_DECLARE_FINAL_TYPE (KcFollowUp, kc_follow_up, KC, FOLLOW_UP, GObject)

/* extension: the operator's (only their missed calls count), or NULL for the
 * whole PBX's. Reads the store once at once. */
KcFollowUp *kc_follow_up_new           (KcStore     *store,
                                        const char  *extension);
KcStore    *kc_follow_up_get_store     (KcFollowUp  *self);
/* NULL when every missed call counts */
const char *kc_follow_up_get_extension (KcFollowUp  *self);
/* The caller has been dealt with: their attempts so far no longer wait.
 * The list drops them at once. */
gboolean    kc_follow_up_mark_done     (KcFollowUp  *self,
                                        KcCallBack  *call_back,
                                        GError     **error);
/* Reads the store now rather than shortly */
void        kc_follow_up_refresh       (KcFollowUp  *self);

G_END_DECLS

/* kc-dashboard-page.h: the calls ringing and talking right now, who is to
 * be called back, today's figures
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "core/kc-call-tracker.h"
#include "core/kc-follow-up.h"
#include "core/kc-caller-context.h"
#include "core/kc-sync.h"

G_BEGIN_DECLS

#define KC_TYPE_DASHBOARD_PAGE (kc_dashboard_page_get_type ())
G_DECLARE_FINAL_TYPE (KcDashboardPage, kc_dashboard_page, KC, DASHBOARD_PAGE, GtkWidget)

void     kc_dashboard_page_set_tracker       (KcDashboardPage *self,
                                              KcCallTracker   *tracker);
/* Shows why the history could not be saved, until a sync goes through */
void     kc_dashboard_page_set_sync          (KcDashboardPage *self,
                                              KcSync          *sync);
/* What set_sync shows when that sync fails: for a failure the page missed */
void     kc_dashboard_page_show_sync_failure (KcDashboardPage *self,
                                              const GError    *error);
/* Who is to be called back and today's figures, from the follow-up's store */
void     kc_dashboard_page_set_follow_up     (KcDashboardPage *self,
                                              KcFollowUp      *follow_up);
/* Names the calls' other parties and says their history */
void     kc_dashboard_page_set_caller_context (KcDashboardPage *self,
                                               KcCallerContext *context);
/* Selects the active call with that id; FALSE when it is not active */
gboolean kc_dashboard_page_select_call       (KcDashboardPage *self,
                                              const char      *call_id);

/* "m:ss", or "h:mm:ss" past an hour */
char    *kc_format_duration                  (gint64           seconds);

G_END_DECLS

/* kc-calls-page.h: the call history — search, filters, recordings
 *
 * A row's menu (right click, a long press, Shift+F10) opens the other
 * party's page in the CRM, or copies their number.
 *
 * Signal "open-url" (const char *url): Open in CRM, an http(s) URL.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "core/kc-engine.h"

G_BEGIN_DECLS

#define KC_TYPE_CALLS_PAGE (kc_calls_page_get_type ())
G_DECLARE_FINAL_TYPE (KcCallsPage, kc_calls_page, KC, CALLS_PAGE, GtkWidget)

void     kc_calls_page_set_engine  (KcCallsPage *self,
                                    KcEngine    *engine);
/* Clears the filters if they hide it, then selects the call; FALSE when the
 * history does not have it (yet) */
gboolean kc_calls_page_select_call (KcCallsPage *self,
                                    const char  *call_id);

/* Puts the keyboard focus in the search box */
void     kc_calls_page_focus_search (KcCallsPage *self);

G_END_DECLS

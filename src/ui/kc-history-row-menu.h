/* kc-history-row-menu.h: the menu of a row of the history
 *
 * "Open in CRM" (history.open-crm) when the CRM has a page for the row's
 * other party, and "Copy number" (history.copy-number), each with the
 * number as its target. Which row a click is on: the other party the
 * history page left on its Name cell ("party").
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "core/kc-caller-context.h"

G_BEGIN_DECLS

/* context may be NULL: no CRM */
GMenuModel *kc_history_row_menu_new  (KcCallerContext *context,
                                      const char      *party);
/* The other party of the row under (x, y) of VIEW, or NULL */
const char *kc_history_row_party_at  (GtkWidget *view,
                                      double     x,
                                      double     y);

G_END_DECLS

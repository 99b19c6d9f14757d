/* kc-export-bar.h: exporting the history, as the operator sees it
 *
 * The file dialog (the portal's inside Flatpak), then a KcExport on a
 * thread of its own; how far it is ("12,000 of 300,000 calls", every tenth
 * of a second) and its Cancel; and a toast of the window's that says how it
 * went: "Exported 300 calls to calls.csv", that it was cancelled (no file
 * is left then), or why it failed (up until read).
 *
 * Properties: "running" (an export runs), "showing" (it has run long
 * enough for its progress to be worth showing: the page reveals the bar).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "core/kc-store.h"

G_BEGIN_DECLS

#define KC_TYPE_EXPORT_BAR (kc_export_bar_get_type ())
G_DECLARE_FINAL_TYPE (KcExportBar, kc_export_bar, KC, EXPORT_BAR, GtkWidget)

KcExportBar *kc_export_bar_new        (void);
/* The rows of the history at db_path under FILTER (copied), about TOTAL of
 * them, to PATH, or to a file the dialog asks for when PATH is NULL;
 * nothing while one is running */
void         kc_export_bar_export     (KcExportBar           *self,
                                       const char            *db_path,
                                       const KcHistoryFilter *filter,
                                       guint                  total,
                                       const char            *path);
gboolean     kc_export_bar_is_running (KcExportBar *self);
void         kc_export_bar_cancel     (KcExportBar *self);

G_END_DECLS

/* kc-window.h: the main window — dashboard, history, welcome
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "core/kc-engine.h"

G_BEGIN_DECLS

#define KC_TYPE_WINDOW (kc_window_get_type ())
G_DECLARE_FINAL_TYPE (KcWindow, kc_window, KC, WINDOW, AdwApplicationWindow)

KcWindow *kc_window_new          (gpointer     application);
void      kc_window_set_engine   (KcWindow    *self,
                                  KcEngine    *engine);
/* The history page, on that call */
void      kc_window_show_call    (KcWindow    *self,
                                  const char  *call_id);
/* First run with no PBX configured: leads to the preferences or the demo */
void      kc_window_show_welcome (KcWindow    *self);
/* Something the operator must act on, in words */
void      kc_window_show_problem (KcWindow    *self,
                                  const char  *title,
                                  const char  *description);
void      kc_window_show_content (KcWindow    *self);
void      kc_window_add_toast    (KcWindow    *self,
                                  const char  *message);

/* The keyboard shortcuts of the application and its windows (Ctrl+F, Ctrl+,,
 * Ctrl+W, Ctrl+Q); the shortcuts window lists them (gtk/help-overlay.ui) */
void      kc_window_set_accels      (GtkApplication *application);
/* The About window, over this one */
void      kc_window_show_about      (KcWindow       *self);

G_END_DECLS

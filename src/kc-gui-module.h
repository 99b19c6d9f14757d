/* kc-gui-module.h: what kerio-cti looks up in its GUI module
 *
 * The desktop application lives in a module, kerio-cti-gui.so, so that a
 * headless start never loads GTK, libadwaita, GStreamer or libsecret.
 * kerio-cti parses the command line, loads the module and calls its entry
 * point; the module uses the kerio/, core/ and sim/ code of the executable.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define KC_GUI_MODULE_NAME "kerio-cti-gui"

/* Runs the application until it quits; the exit code. demo: against the
 * built-in simulator; background: start in the tray (the window still comes
 * up when no tray host exists). argv0: the program's argv[0]. */
typedef int (*KcGuiMainFunc) (gboolean    demo,
                              gboolean    background,
                              const char *argv0);
#define KC_GUI_MAIN_SYMBOL "kc_application_main"
int kc_application_main (gboolean    demo,
                         gboolean    background,
                         const char *argv0);

G_END_DECLS

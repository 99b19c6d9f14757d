/* kc-preferences-window.h: the connection, polling and startup settings
 *
 * Edits the uz.kerio.Cti GSettings it is given, keeps the password in the
 * Secret Service (kc-secret.h), tests a connection with the values as typed,
 * turns the autostart entry on and off, the instant pop-ups over AMI
 * (kc-ami-group.h) and the events for web pages (kc-events-group.h).
 *
 * Signal "settings-applied" (no arguments): a setting the engine depends on
 * (server, user name, password, extension, certificate pin, intervals, AMI
 * address, user name and password, events address) was saved, so the
 * application should restart its engine. Typing is not saving: entry rows
 * save when applied (their apply button or Enter), when left, or when the
 * window is closed; the interval spin buttons save at once but signal only
 * once they settle. A password given to the keyring keeps the window object
 * alive until the keyring has answered, so the signal for it may come after
 * the window has been closed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KC_TYPE_PREFERENCES_WINDOW (kc_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (KcPreferencesWindow, kc_preferences_window, KC, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

/* parent may be NULL; settings: schema uz.kerio.Cti */
KcPreferencesWindow *kc_preferences_window_new (GtkWindow *parent,
                                                GSettings *settings);

G_END_DECLS

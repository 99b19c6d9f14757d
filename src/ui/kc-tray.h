/* kc-tray.h: the tray icon, a StatusNotifierItem over D-Bus
 *
 * GTK 4 has no tray API, so the icon is the freedesktop StatusNotifierItem
 * protocol: an org.kde.StatusNotifierItem object at /StatusNotifierItem and a
 * com.canonical.dbusmenu menu at /MenuBar, on a bus name of our own that is
 * registered with the org.kde.StatusNotifierWatcher whenever one runs.
 *
 * The menu is kc-tray-menu.h's, with the actions it names; a click on the
 * icon activates "show-window". The tooltip says the connection's state
 * and how many callers are still to be called back.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  KC_TRAY_CONNECTING,
  KC_TRAY_CONNECTED,
  KC_TRAY_ERROR,
} KcTrayConnection;

#define KC_TYPE_TRAY (kc_tray_get_type ())
G_DECLARE_FINAL_TYPE (KcTray, kc_tray, KC, TRAY, GObject)

KcTray   *kc_tray_new             (GDBusConnection  *bus,
                                   GActionGroup     *actions);
/* TRUE while a StatusNotifierWatcher with a host has our item registered;
 * "notify::available" when that changes. While FALSE nobody shows the icon,
 * so the application must keep its window reachable some other way. */
gboolean  kc_tray_get_available   (KcTray           *self);
/* TRUE while a watcher runs but has not yet answered whether a host shows
 * our item (a slow panel at login, a loaded machine) */
gboolean  kc_tray_get_deciding    (KcTray           *self);
/* Icon and tooltip follow the state; `error_message` (nullable) says why in
 * the tooltip while the state is KC_TRAY_ERROR */
void      kc_tray_set_connection  (KcTray           *self,
                                   KcTrayConnection  state,
                                   const char       *error_message);
/* Asks the host for attention (Status NeedsAttention) while TRUE */
void      kc_tray_set_ringing     (KcTray           *self,
                                   gboolean          ringing);
/* The callers still to be called back (GListModel of KcCallBack, the newest
 * first; NULL for none): counted in the tooltip, listed in the menu's "To
 * call back", both following the model as it changes */
void      kc_tray_set_call_backs  (KcTray           *self,
                                   GListModel       *call_backs);

G_END_DECLS

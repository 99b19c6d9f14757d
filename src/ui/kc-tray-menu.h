/* kc-tray-menu.h: the tray icon's menu, com.canonical.dbusmenu at /MenuBar
 *
 * The host (the panel) draws the menu from this object's layout and sends
 * the clicks back. Items activate these actions of the given group:
 *   "show-window"
 *   "pause-popups"  stateful boolean, shown as a checkmark
 *   "show-call"     string parameter: the call id of a caller's last
 *                   missed call, from the "To call back" submenu
 *   "preferences"
 *   "quit"
 * "To call back" lists the callers of a GListModel of KcCallBack (the
 * newest first, at most KC_TRAY_MENU_CALL_BACKS_MAX, then one item for the
 * rest that opens the window), and follows it as it changes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define KC_TRAY_MENU_PATH "/MenuBar"
#define KC_TRAY_MENU_CALL_BACKS_MAX 10

#define KC_TYPE_TRAY_MENU (kc_tray_menu_get_type ())
G_DECLARE_FINAL_TYPE (KcTrayMenu, kc_tray_menu, KC, TRAY_MENU, GObject)

/* Exported on bus at KC_TRAY_MENU_PATH until disposed */
KcTrayMenu *kc_tray_menu_new            (GDBusConnection  *bus,
                                         GActionGroup     *actions,
                                         GError          **error);
/* call_backs: GListModel of KcCallBack, or NULL for none */
void        kc_tray_menu_set_call_backs (KcTrayMenu       *self,
                                         GListModel       *call_backs);
/* Activates an action of the group unless it is gone or disabled: a host
 * may click an item of a menu it drew before */
void        kc_tray_menu_activate       (KcTrayMenu       *self,
                                         const char       *action,
                                         GVariant         *parameter);

G_END_DECLS

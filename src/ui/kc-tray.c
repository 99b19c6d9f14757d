/* kc-tray.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-tray"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <unistd.h>

#include "kc-tray-menu.h"
#include "kc-tray.h"

#define ITEM_PATH     "/StatusNotifierItem"
#define ITEM_IFACE    "org.kde.StatusNotifierItem"
#define WATCHER_NAME  "org.kde.StatusNotifierWatcher"
#define WATCHER_PATH  "/StatusNotifierWatcher"
#define WATCHER_IFACE "org.kde.StatusNotifierWatcher"

struct _KcTray
{
  GObject            parent_instance;

  GDBusConnection   *bus;
  char              *bus_name;
  gboolean           unique_name; /* bus_name is the connection's, not owned */

  guint              item_registration;
  KcTrayMenu        *menu;
  guint              watcher_subscription;
  guint              name_owner_id;
  guint              watcher_watch_id;
  gboolean           name_owned;
  char              *watcher_owner;       /* unique name, NULL while no watcher runs */
  GCancellable      *watcher_cancellable; /* our calls to that watcher */
  gboolean           registered;
  gboolean           answered;  /* the watcher has told whether a host shows us */
  gboolean           available;

  KcTrayConnection   connection;
  char              *error_message;
  gboolean           ringing;

  GListModel        *call_backs; /* NULL: none */
};

G_DEFINE_FINAL_TYPE (KcTray, kc_tray, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_AVAILABLE,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static GDBusInterfaceInfo *item_iface_info;

/* Only the members we serve. The pixmap and overlay properties stay empty
 * but are there because some hosts Get them one by one and log each miss. */
static const char item_xml[] =
  "<node>"
  "  <interface name='" ITEM_IFACE "'>"
  "    <method name='ContextMenu'>"
  "      <arg name='x' type='i' direction='in'/>"
  "      <arg name='y' type='i' direction='in'/>"
  "    </method>"
  "    <method name='Activate'>"
  "      <arg name='x' type='i' direction='in'/>"
  "      <arg name='y' type='i' direction='in'/>"
  "    </method>"
  "    <method name='SecondaryActivate'>"
  "      <arg name='x' type='i' direction='in'/>"
  "      <arg name='y' type='i' direction='in'/>"
  "    </method>"
  "    <method name='Scroll'>"
  "      <arg name='delta' type='i' direction='in'/>"
  "      <arg name='orientation' type='s' direction='in'/>"
  "    </method>"
  "    <signal name='NewIcon'/>"
  "    <signal name='NewToolTip'/>"
  "    <signal name='NewStatus'>"
  "      <arg name='status' type='s'/>"
  "    </signal>"
  "    <property name='Category' type='s' access='read'/>"
  "    <property name='Id' type='s' access='read'/>"
  "    <property name='Title' type='s' access='read'/>"
  "    <property name='Status' type='s' access='read'/>"
  "    <property name='WindowId' type='i' access='read'/>"
  "    <property name='IconThemePath' type='s' access='read'/>"
  "    <property name='IconName' type='s' access='read'/>"
  "    <property name='IconPixmap' type='a(iiay)' access='read'/>"
  "    <property name='OverlayIconName' type='s' access='read'/>"
  "    <property name='OverlayIconPixmap' type='a(iiay)' access='read'/>"
  "    <property name='AttentionIconName' type='s' access='read'/>"
  "    <property name='AttentionIconPixmap' type='a(iiay)' access='read'/>"
  "    <property name='AttentionMovieName' type='s' access='read'/>"
  "    <property name='ToolTip' type='(sa(iiay)ss)' access='read'/>"
  "    <property name='ItemIsMenu' type='b' access='read'/>"
  "    <property name='Menu' type='o' access='read'/>"
  "  </interface>"
  "</node>";

static void
emit_item_signal (KcTray     *self,
                  const char *name,
                  GVariant   *parameters)
{
  g_dbus_connection_emit_signal (self->bus, NULL, ITEM_PATH, ITEM_IFACE, name, parameters, NULL);
}

static const char *
icon_name (KcTray *self)
{
  switch (self->connection)
    {
    case KC_TRAY_CONNECTED:
      return APP_ID "-symbolic";
    case KC_TRAY_ERROR:
      return APP_ID "-error-symbolic";
    case KC_TRAY_CONNECTING:
    default:
      return APP_ID "-connecting-symbolic";
    }
}

static const char *
status_name (KcTray *self)
{
  return self->ringing ? "NeedsAttention" : "Active";
}

static char *
connection_text (KcTray *self)
{
  switch (self->connection)
    {
    case KC_TRAY_CONNECTED:
      return g_strdup (_("Connected to the PBX"));
    case KC_TRAY_ERROR:
      if (self->error_message == NULL)
        return g_strdup (_("Not connected to the PBX"));
      /* Translators: %s says why, e.g. "Cannot connect to pbx.example.uz:4021" */
      return g_strdup_printf (_("Not connected: %s"), self->error_message);
    case KC_TRAY_CONNECTING:
    default:
      return g_strdup (_("Connecting to the PBX…"));
    }
}

/* The spec makes the tooltip's text markup, so a stray "&" or "<" in an error
 * message would blank the whole tooltip on hosts that parse it. */
static GVariant *
tooltip (KcTray *self)
{
  g_autofree char *state = connection_text (self);
  guint n = self->call_backs ? g_list_model_get_n_items (self->call_backs) : 0;
  g_autofree char *call_backs = NULL;
  g_autofree char *text = NULL;
  g_autofree char *markup = NULL;

  /* Callers, not missed calls: one who called three times is one to call */
  if (n == 0)
    call_backs = g_strdup (_("Nobody to call back"));
  else
    call_backs = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u caller to call back",
                                               "%u callers to call back", n),
                                  n);
  text = g_strconcat (state, "\n", call_backs, NULL);
  markup = g_markup_escape_text (text, -1);
  return g_variant_new ("(s@a(iiay)ss)", "",
                        g_variant_new_array (G_VARIANT_TYPE ("(iiay)"), NULL, 0), _("Kerio CTI"),
                        markup);
}

static void
item_method_call (GDBusConnection       *connection,
                  const char            *sender,
                  const char            *object_path,
                  const char            *interface_name,
                  const char            *method_name,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation,
                  gpointer               user_data)
{
  KcTray *self = user_data;

  g_dbus_method_invocation_return_value (invocation, NULL);

  /* ContextMenu and Scroll need nothing: with ItemIsMenu FALSE and a Menu
   * the host draws the menu itself. */
  if (self->menu != NULL &&
      (g_str_equal (method_name, "Activate") || g_str_equal (method_name, "SecondaryActivate")))
    kc_tray_menu_activate (self->menu, "show-window", NULL);
}

/* Where a panel finds our state icons when we are not installed where it
 * looks anyway (/usr, or a Flatpak's exported icons: then it stays empty,
 * since our prefix means nothing outside the sandbox). */
static const char *
icon_theme_path (void)
{
  if (g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS) || g_str_equal (DATADIR, "/usr/share"))
    return "";
  return DATADIR "/icons";
}

static GVariant *
item_get_property (GDBusConnection *connection,
                   const char      *sender,
                   const char      *object_path,
                   const char      *interface_name,
                   const char      *property_name,
                   GError         **error,
                   gpointer         user_data)
{
  KcTray *self = user_data;

  if (g_str_equal (property_name, "Category"))
    return g_variant_new_string ("Communications");
  if (g_str_equal (property_name, "Id"))
    return g_variant_new_string (APP_ID);
  if (g_str_equal (property_name, "Title"))
    return g_variant_new_string (_("Kerio CTI"));
  if (g_str_equal (property_name, "Status"))
    return g_variant_new_string (status_name (self));
  if (g_str_equal (property_name, "WindowId"))
    return g_variant_new_int32 (0);
  if (g_str_equal (property_name, "IconName"))
    return g_variant_new_string (icon_name (self));
  if (g_str_equal (property_name, "AttentionIconName"))
    return g_variant_new_string (APP_ID "-ringing-symbolic");
  if (g_str_equal (property_name, "ToolTip"))
    return tooltip (self);
  if (g_str_equal (property_name, "ItemIsMenu"))
    return g_variant_new_boolean (FALSE);
  if (g_str_equal (property_name, "Menu"))
    return g_variant_new_object_path (KC_TRAY_MENU_PATH);
  if (g_str_has_suffix (property_name, "Pixmap"))
    return g_variant_new_array (G_VARIANT_TYPE ("(iiay)"), NULL, 0);
  if (g_str_equal (property_name, "IconThemePath"))
    return g_variant_new_string (icon_theme_path ());
  /* OverlayIconName, AttentionMovieName */
  return g_variant_new_string ("");
}

static const GDBusInterfaceVTable item_vtable = {
  .method_call = item_method_call,
  .get_property = item_get_property,
};

static void
set_available (KcTray  *self,
               gboolean available)
{
  if (self->available == available)
    return;
  self->available = available;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_AVAILABLE]);
}

static void
forget_watcher (KcTray *self)
{
  g_cancellable_cancel (self->watcher_cancellable);
  g_clear_object (&self->watcher_cancellable);
  g_clear_pointer (&self->watcher_owner, g_free);
  self->registered = FALSE;
  self->answered = FALSE;
}

static void
host_query_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                              &error);
  g_autoptr (GVariant) value = NULL;
  KcTray *self;

  /* Cancelled by dispose or a vanished watcher: `self` may be gone */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = user_data;
  self->answered = TRUE;
  if (reply == NULL)
    {
      g_message ("Cannot ask the tray watcher for a host: %s", error->message);
      set_available (self, FALSE);
      return;
    }
  g_variant_get (reply, "(v)", &value);
  set_available (self, g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN)
                       && g_variant_get_boolean (value));
}

/* A watcher runs without a host (the panel that draws the icons) when the
 * panel crashed or the desktop's tray extension is off; then nobody sees us. */
static void
query_host (KcTray *self)
{
  g_dbus_connection_call (self->bus, self->watcher_owner, WATCHER_PATH,
                          "org.freedesktop.DBus.Properties", "Get",
                          g_variant_new ("(ss)", WATCHER_IFACE, "IsStatusNotifierHostRegistered"),
                          G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
                          self->watcher_cancellable, host_query_done, self);
}

static void
register_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                              &error);
  KcTray *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = user_data;
  if (reply == NULL)
    {
      g_message ("The tray watcher refused the icon: %s", error->message);
      self->answered = TRUE;
      return;
    }
  self->registered = TRUE;
  query_host (self);
}

static void
register_item (KcTray *self)
{
  if (!self->name_owned || self->watcher_owner == NULL)
    return;
  g_dbus_connection_call (self->bus, self->watcher_owner, WATCHER_PATH, WATCHER_IFACE,
                          "RegisterStatusNotifierItem", g_variant_new ("(s)", self->bus_name),
                          NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, self->watcher_cancellable,
                          register_done, self);
}

static void
watcher_signal (GDBusConnection *bus,
                const char      *sender,
                const char      *object_path,
                const char      *interface_name,
                const char      *signal_name,
                GVariant        *parameters,
                gpointer         user_data)
{
  KcTray *self = user_data;

  if (!self->registered || g_strcmp0 (sender, self->watcher_owner) != 0)
    return;
  if (g_str_equal (signal_name, "StatusNotifierHostRegistered")
      || g_str_equal (signal_name, "StatusNotifierHostUnregistered"))
    query_host (self);
}

static void
watcher_appeared (GDBusConnection *bus,
                  const char      *name,
                  const char      *owner,
                  gpointer         user_data)
{
  KcTray *self = user_data;

  forget_watcher (self);
  self->watcher_owner = g_strdup (owner);
  self->watcher_cancellable = g_cancellable_new ();
  register_item (self);
}

/* A restarted panel starts a new watcher that knows nothing of us; we
 * register again when it appears. */
static void
watcher_vanished (GDBusConnection *bus,
                  const char      *name,
                  gpointer         user_data)
{
  KcTray *self = user_data;

  forget_watcher (self);
  set_available (self, FALSE);
}

static void
name_acquired (GDBusConnection *bus,
               const char      *name,
               gpointer         user_data)
{
  KcTray *self = user_data;

  self->name_owned = TRUE;
  register_item (self);
}

static void
name_lost (GDBusConnection *bus,
           const char      *name,
           gpointer         user_data)
{
  KcTray *self = user_data;

  if (!self->name_owned && !self->unique_name)
    {
      /* A sandbox (Flatpak) may not let us own the spec's name; watchers also
       * take the connection's own unique name, with the item at its usual
       * path. */
      g_message ("Cannot own %s for the tray icon; registering the connection's name instead",
                 name);
      g_free (self->bus_name);
      self->bus_name = g_strdup (g_dbus_connection_get_unique_name (bus));
      self->unique_name = TRUE;
      self->name_owned = TRUE;
      register_item (self);
      return;
    }
  self->name_owned = FALSE;
  self->registered = FALSE;
  set_available (self, FALSE);
}

static void
kc_tray_dispose (GObject *object)
{
  KcTray *self = KC_TRAY (object);

  if (self->call_backs != NULL)
    g_signal_handlers_disconnect_by_data (self->call_backs, self);
  forget_watcher (self);
  g_clear_handle_id (&self->watcher_watch_id, g_bus_unwatch_name);
  /* Dropping the name is what tells the watcher the icon is gone */
  g_clear_handle_id (&self->name_owner_id, g_bus_unown_name);
  if (self->watcher_subscription != 0)
    g_dbus_connection_signal_unsubscribe (self->bus, self->watcher_subscription);
  self->watcher_subscription = 0;
  if (self->item_registration != 0)
    g_dbus_connection_unregister_object (self->bus, self->item_registration);
  self->item_registration = 0;
  g_clear_object (&self->menu);
  g_clear_object (&self->call_backs);
  g_clear_object (&self->bus);

  G_OBJECT_CLASS (kc_tray_parent_class)->dispose (object);
}

static void
kc_tray_finalize (GObject *object)
{
  KcTray *self = KC_TRAY (object);

  g_free (self->bus_name);
  g_free (self->error_message);

  G_OBJECT_CLASS (kc_tray_parent_class)->finalize (object);
}

static void
kc_tray_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  KcTray *self = KC_TRAY (object);

  switch (prop_id)
    {
    case PROP_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kc_tray_class_init (KcTrayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GDBusNodeInfo *node;

  object_class->dispose = kc_tray_dispose;
  object_class->finalize = kc_tray_finalize;
  object_class->get_property = kc_tray_get_property;

  props[PROP_AVAILABLE] =
    g_param_spec_boolean ("available", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  /* Parsed once and kept for the process's life, like the class */
  node = g_dbus_node_info_new_for_xml (item_xml, NULL);
  item_iface_info = g_dbus_interface_info_ref (node->interfaces[0]);
  g_dbus_node_info_unref (node);
}

static void
kc_tray_init (KcTray *self)
{
  static int instances;

  /* The name the StatusNotifierItem spec asks for: unique per process and item */
  self->bus_name = g_strdup_printf ("org.kde.StatusNotifierItem-%d-%d", (int) getpid (),
                                    g_atomic_int_add (&instances, 1) + 1);
  self->connection = KC_TRAY_CONNECTING;
}

KcTray *
kc_tray_new (GDBusConnection *bus,
             GActionGroup    *actions)
{
  g_autoptr (GError) error = NULL;
  KcTray *self;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (bus), NULL);
  g_return_val_if_fail (G_IS_ACTION_GROUP (actions), NULL);

  self = g_object_new (KC_TYPE_TRAY, NULL);
  self->bus = g_object_ref (bus);

  /* Objects first, so the watcher and its host find them the moment they
   * hear our name */
  self->item_registration = g_dbus_connection_register_object (bus, ITEM_PATH, item_iface_info,
                                                               &item_vtable, self, NULL, &error);
  if (error == NULL)
    self->menu = kc_tray_menu_new (bus, actions, &error);
  if (error != NULL)
    {
      /* Another tray on this connection: the app keeps its window reachable */
      g_warning ("Cannot export the tray icon: %s", error->message);
      return self;
    }

  self->watcher_subscription =
    g_dbus_connection_signal_subscribe (bus, WATCHER_NAME, WATCHER_IFACE, NULL, WATCHER_PATH, NULL,
                                        G_DBUS_SIGNAL_FLAGS_NONE, watcher_signal, self, NULL);
  self->name_owner_id = g_bus_own_name_on_connection (bus, self->bus_name,
                                                      G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                                      name_acquired, name_lost, self, NULL);
  self->watcher_watch_id = g_bus_watch_name_on_connection (bus, WATCHER_NAME,
                                                           G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                           watcher_appeared, watcher_vanished,
                                                           self, NULL);
  return self;
}

gboolean
kc_tray_get_available (KcTray *self)
{
  g_return_val_if_fail (KC_IS_TRAY (self), FALSE);
  return self->available;
}

gboolean
kc_tray_get_deciding (KcTray *self)
{
  g_return_val_if_fail (KC_IS_TRAY (self), FALSE);
  return self->watcher_owner != NULL && self->name_owned && !self->answered;
}

void
kc_tray_set_connection (KcTray           *self,
                        KcTrayConnection  state,
                        const char       *error_message)
{
  /* The message says why we are not connected; other states need no why */
  const char *message = state == KC_TRAY_ERROR ? error_message : NULL;
  gboolean icon_changed;

  g_return_if_fail (KC_IS_TRAY (self));

  if (self->connection == state && g_strcmp0 (self->error_message, message) == 0)
    return;
  icon_changed = self->connection != state;
  self->connection = state;
  g_free (self->error_message);
  self->error_message = g_strdup (message);
  if (icon_changed)
    emit_item_signal (self, "NewIcon", NULL);
  emit_item_signal (self, "NewToolTip", NULL);
}

void
kc_tray_set_ringing (KcTray  *self,
                     gboolean ringing)
{
  g_return_if_fail (KC_IS_TRAY (self));

  ringing = !!ringing;
  if (self->ringing == ringing)
    return;
  self->ringing = ringing;
  emit_item_signal (self, "NewStatus", g_variant_new ("(s)", status_name (self)));
}

static void
on_call_backs_changed (KcTray *self)
{
  emit_item_signal (self, "NewToolTip", NULL);
}

void
kc_tray_set_call_backs (KcTray     *self,
                        GListModel *call_backs)
{
  g_return_if_fail (KC_IS_TRAY (self));
  g_return_if_fail (call_backs == NULL || G_IS_LIST_MODEL (call_backs));

  if (self->call_backs == call_backs)
    return;
  if (self->call_backs != NULL)
    g_signal_handlers_disconnect_by_data (self->call_backs, self);
  g_set_object (&self->call_backs, call_backs);
  if (call_backs != NULL)
    g_signal_connect_swapped (call_backs, "items-changed", G_CALLBACK (on_call_backs_changed),
                              self);
  if (self->menu != NULL)
    kc_tray_menu_set_call_backs (self->menu, call_backs);
  on_call_backs_changed (self);
}

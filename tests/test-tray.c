/* test-tray.c: the tray icon as a desktop panel sees it
 *
 * A fake org.kde.StatusNotifierWatcher on its own connection stands in for
 * the panel; a second connection plays the host, which reads the item's
 * properties and drives its menu over D-Bus as a real panel would, all on
 * the test's own session bus (kc-test-bus.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "kc-test-bus.h"
#include "kc-test-util.h"
#include "core/kc-call-back.h"
#include "ui/kc-tray.h"

#define WATCHER_NAME  "org.kde.StatusNotifierWatcher"
#define WATCHER_PATH  "/StatusNotifierWatcher"
#define WATCHER_IFACE "org.kde.StatusNotifierWatcher"
#define ITEM_PATH     "/StatusNotifierItem"
#define ITEM_IFACE    "org.kde.StatusNotifierItem"
#define MENU_PATH     "/MenuBar"
#define MENU_IFACE    "com.canonical.dbusmenu"
#define WAIT          5

static GDBusConnection *
new_session_connection (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  GDBusConnection *bus;

  g_assert_no_error (error);
  bus = g_dbus_connection_new_for_address_sync (address,
                                                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
                                                | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                NULL, NULL, &error);
  g_assert_no_error (error);
  return bus;
}

/* The fake watcher */

typedef struct
{
  GDBusConnection *bus;
  guint            registration;
  gboolean         has_host;
  guint            host_queries;
  GPtrArray       *services; /* what RegisterStatusNotifierItem was given */
} FakeWatcher;

static const char watcher_xml[] =
  "<node>"
  "  <interface name='" WATCHER_IFACE "'>"
  "    <method name='RegisterStatusNotifierItem'>"
  "      <arg name='service' type='s' direction='in'/>"
  "    </method>"
  "    <property name='RegisteredStatusNotifierItems' type='as' access='read'/>"
  "    <property name='IsStatusNotifierHostRegistered' type='b' access='read'/>"
  "    <property name='ProtocolVersion' type='i' access='read'/>"
  "    <signal name='StatusNotifierItemRegistered'><arg type='s'/></signal>"
  "    <signal name='StatusNotifierHostRegistered'/>"
  "    <signal name='StatusNotifierHostUnregistered'/>"
  "  </interface>"
  "</node>";

static void
watcher_method_call (GDBusConnection       *connection,
                     const char            *sender,
                     const char            *object_path,
                     const char            *interface_name,
                     const char            *method_name,
                     GVariant              *parameters,
                     GDBusMethodInvocation *invocation,
                     gpointer               user_data)
{
  FakeWatcher *w = user_data;
  const char *service;

  g_variant_get (parameters, "(&s)", &service);
  g_ptr_array_add (w->services, g_strdup (service));
  g_dbus_method_invocation_return_value (invocation, NULL);
  g_dbus_connection_emit_signal (connection, NULL, WATCHER_PATH, WATCHER_IFACE,
                                 "StatusNotifierItemRegistered", g_variant_new ("(s)", service),
                                 NULL);
}

static GVariant *
watcher_get_property (GDBusConnection *connection,
                      const char      *sender,
                      const char      *object_path,
                      const char      *interface_name,
                      const char      *property_name,
                      GError         **error,
                      gpointer         user_data)
{
  FakeWatcher *w = user_data;

  if (g_str_equal (property_name, "IsStatusNotifierHostRegistered"))
    {
      w->host_queries++;
      return g_variant_new_boolean (w->has_host);
    }
  if (g_str_equal (property_name, "RegisteredStatusNotifierItems"))
    return g_variant_new_strv ((const char * const *) w->services->pdata, w->services->len);
  return g_variant_new_int32 (0);
}

static const GDBusInterfaceVTable watcher_vtable = {
  .method_call = watcher_method_call,
  .get_property = watcher_get_property,
};

static FakeWatcher *
fake_watcher_start (gboolean has_host)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusNodeInfo) node = g_dbus_node_info_new_for_xml (watcher_xml, &error);
  FakeWatcher *w = g_new0 (FakeWatcher, 1);

  g_assert_no_error (error);
  w->has_host = has_host;
  w->services = g_ptr_array_new_with_free_func (g_free);
  w->bus = new_session_connection ();
  w->registration = g_dbus_connection_register_object (w->bus, WATCHER_PATH, node->interfaces[0],
                                                       &watcher_vtable, w, NULL, &error);
  g_assert_no_error (error);
  kc_test_bus_own_name (w->bus, WATCHER_NAME);
  return w;
}

static void
fake_watcher_set_host (FakeWatcher *w,
                       gboolean     has_host)
{
  w->has_host = has_host;
  g_dbus_connection_emit_signal (w->bus, NULL, WATCHER_PATH, WATCHER_IFACE,
                                 has_host ? "StatusNotifierHostRegistered"
                                          : "StatusNotifierHostUnregistered",
                                 NULL, NULL);
}

/* Ends the watcher as a crashing panel would: its connection goes away */
static void
fake_watcher_stop (FakeWatcher *w)
{
  g_dbus_connection_unregister_object (w->bus, w->registration);
  g_dbus_connection_close_sync (w->bus, NULL, NULL);
  g_object_unref (w->bus);
  g_ptr_array_unref (w->services);
  g_free (w);
}

/* The application side and the host side */

typedef struct
{
  GDBusConnection    *tray_bus;
  GDBusConnection    *host;
  GSimpleActionGroup *actions;
  GPtrArray          *activations; /* "name" or "name parameter" */
  GPtrArray          *signals;     /* the member name of each signal from the tray */
  GPtrArray          *signal_args; /* their parameters, in step with `signals` */
  guint               subscription;
  FakeWatcher        *watcher;
  KcTray             *tray;
  guint               available_notifies;
} Fixture;

static void
on_activate (GSimpleAction *action,
             GVariant      *parameter,
             Fixture       *f)
{
  const char *name = g_action_get_name (G_ACTION (action));

  if (parameter != NULL)
    g_ptr_array_add (f->activations,
                     g_strdup_printf ("%s %s", name, g_variant_get_string (parameter, NULL)));
  else
    g_ptr_array_add (f->activations, g_strdup (name));
}

/* What an application does for a checkmark item: flip the state */
static void
on_activate_toggle (GSimpleAction *action,
                    GVariant      *parameter,
                    Fixture       *f)
{
  g_autoptr (GVariant) state = g_action_get_state (G_ACTION (action));

  on_activate (action, parameter, f);
  g_simple_action_set_state (action, g_variant_new_boolean (!g_variant_get_boolean (state)));
}

static void
on_tray_signal (GDBusConnection *bus,
                const char      *sender,
                const char      *object_path,
                const char      *interface_name,
                const char      *signal_name,
                GVariant        *parameters,
                gpointer         user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->signals, g_strdup (signal_name));
  g_ptr_array_add (f->signal_args, g_variant_ref (parameters));
}

static void
on_available (KcTray     *tray,
              GParamSpec *pspec,
              Fixture    *f)
{
  f->available_notifies++;
}

static void
add_action (Fixture            *f,
            const char         *name,
            const GVariantType *parameter_type)
{
  g_autoptr (GSimpleAction) action = g_simple_action_new (name, parameter_type);

  g_signal_connect (action, "activate", G_CALLBACK (on_activate), f);
  g_action_map_add_action (G_ACTION_MAP (f->actions), G_ACTION (action));
}

static void
start_tray (Fixture *f)
{
  f->tray = kc_tray_new (f->tray_bus, G_ACTION_GROUP (f->actions));
  g_signal_connect (f->tray, "notify::available", G_CALLBACK (on_available), f);
}

static void
setup_bare (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr (GSimpleAction) pause = NULL;

  f->tray_bus = new_session_connection ();
  f->host = new_session_connection ();
  f->activations = g_ptr_array_new_with_free_func (g_free);
  f->signals = g_ptr_array_new_with_free_func (g_free);
  f->signal_args = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  f->subscription =
    g_dbus_connection_signal_subscribe (f->host, g_dbus_connection_get_unique_name (f->tray_bus),
                                        NULL, NULL, NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                        on_tray_signal, f, NULL);

  f->actions = g_simple_action_group_new ();
  add_action (f, "show-window", NULL);
  add_action (f, "show-call", G_VARIANT_TYPE_STRING);
  add_action (f, "preferences", NULL);
  add_action (f, "quit", NULL);
  pause = g_simple_action_new_stateful ("pause-popups", NULL, g_variant_new_boolean (FALSE));
  g_signal_connect (pause, "activate", G_CALLBACK (on_activate_toggle), f);
  g_action_map_add_action (G_ACTION_MAP (f->actions), G_ACTION (pause));
}

/* A desktop with a panel: the watcher runs and has a host, and the tray has
 * registered by the time the test starts */
static void
setup (Fixture       *f,
       gconstpointer  data)
{
  setup_bare (f, data);
  f->watcher = fake_watcher_start (TRUE);
  start_tray (f);
  KC_TEST_WAIT_UNTIL (kc_tray_get_available (f->tray), WAIT);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_clear_object (&f->tray);
  g_clear_pointer (&f->watcher, fake_watcher_stop);
  g_dbus_connection_signal_unsubscribe (f->host, f->subscription);
  g_dbus_connection_close_sync (f->host, NULL, NULL);
  g_dbus_connection_close_sync (f->tray_bus, NULL, NULL);
  g_clear_object (&f->host);
  g_clear_object (&f->tray_bus);
  g_clear_object (&f->actions);
  g_clear_pointer (&f->activations, g_ptr_array_unref);
  g_clear_pointer (&f->signals, g_ptr_array_unref);
  g_clear_pointer (&f->signal_args, g_ptr_array_unref);
}

/* The bus name a host reaches the item by: the one it registered with, or,
 * with no watcher to tell, the tray's connection */
static const char *
item_name (Fixture *f)
{
  if (f->watcher != NULL && f->watcher->services->len > 0)
    return g_ptr_array_index (f->watcher->services, f->watcher->services->len - 1);
  return g_dbus_connection_get_unique_name (f->tray_bus);
}

/* The tray answers on the main loop, so the host side must not block it */
static GVariant *
call_tray (Fixture    *f,
           const char *path,
           const char *iface,
           const char *method,
           GVariant   *parameters,
           const char *reply_type,
           GError    **error)
{
  g_autoptr (GAsyncResult) res = NULL;

  g_dbus_connection_call (f->host, item_name (f), path, iface, method, parameters,
                          reply_type ? G_VARIANT_TYPE (reply_type) : NULL,
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, kc_test_store_result, &res);
  KC_TEST_AWAIT (res);
  return g_dbus_connection_call_finish (f->host, res, error);
}

static GVariant *
get_all (Fixture    *f,
         const char *path,
         const char *iface)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = call_tray (f, path, "org.freedesktop.DBus.Properties", "GetAll",
                                          g_variant_new ("(s)", iface), "(a{sv})", &error);

  g_assert_no_error (error);
  return g_variant_get_child_value (reply, 0);
}

static GVariant *
item_property (Fixture    *f,
               const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = call_tray (f, ITEM_PATH, "org.freedesktop.DBus.Properties", "Get",
                                          g_variant_new ("(ss)", ITEM_IFACE, name), "(v)", &error);
  GVariant *value;

  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return value;
}

static char *
item_string (Fixture    *f,
             const char *name)
{
  g_autoptr (GVariant) value = item_property (f, name);

  return g_variant_dup_string (value, NULL);
}

/* The ToolTip's text, the part a host shows under the title */
static char *
tooltip_text (Fixture *f)
{
  g_autoptr (GVariant) tooltip = item_property (f, "ToolTip");
  char *text;

  g_assert_true (g_variant_is_of_type (tooltip, G_VARIANT_TYPE ("(sa(iiay)ss)")));
  g_variant_get_child (tooltip, 3, "s", &text);
  return text;
}

static guint
count_signals (Fixture    *f,
               const char *member)
{
  guint n = 0;

  for (guint i = 0; i < f->signals->len; i++)
    n += g_str_equal (g_ptr_array_index (f->signals, i), member);
  return n;
}

static GVariant *
last_signal_args (Fixture    *f,
                  const char *member)
{
  for (guint i = f->signals->len; i > 0; i--)
    if (g_str_equal (g_ptr_array_index (f->signals, i - 1), member))
      return g_ptr_array_index (f->signal_args, i - 1);
  g_assert_not_reached ();
}

/* The whole menu: (ia{sv}av) of the root, and its revision */
static GVariant *
get_layout (Fixture *f,
            guint   *revision)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = call_tray (f, MENU_PATH, MENU_IFACE, "GetLayout",
                                          g_variant_new ("(ii@as)", 0, -1,
                                                         g_variant_new_strv (NULL, 0)),
                                          "(u(ia{sv}av))", &error);
  GVariant *layout;

  g_assert_no_error (error);
  g_variant_get (reply, "(u@(ia{sv}av))", revision, &layout);
  return layout;
}

/* The labels of an item's children in order, "-" for a separator */
static GStrv
menu_labels (GVariant *layout)
{
  g_autoptr (GVariant) children = g_variant_get_child_value (layout, 2);
  g_autoptr (GStrvBuilder) labels = g_strv_builder_new ();

  for (gsize i = 0; i < g_variant_n_children (children); i++)
    {
      g_autoptr (GVariant) child = NULL;
      g_autoptr (GVariant) properties = NULL;
      const char *label = "-";

      g_variant_get_child (children, i, "v", &child);
      g_variant_get (child, "(i@a{sv}av)", NULL, &properties, NULL);
      g_variant_lookup (properties, "label", "&s", &label);
      g_strv_builder_add (labels, label);
    }
  return g_strv_builder_end (labels);
}

/* The child of `layout` whose label contains `text`, or NULL */
static GVariant *
find_child (GVariant   *layout,
            const char *text)
{
  g_autoptr (GVariant) children = g_variant_get_child_value (layout, 2);

  for (gsize i = 0; i < g_variant_n_children (children); i++)
    {
      g_autoptr (GVariant) child = NULL;
      g_autoptr (GVariant) properties = NULL;
      const char *label;

      g_variant_get_child (children, i, "v", &child);
      g_variant_get (child, "(i@a{sv}av)", NULL, &properties, NULL);
      if (g_variant_lookup (properties, "label", "&s", &label) && strstr (label, text) != NULL)
        return g_steal_pointer (&child);
    }
  return NULL;
}

/* The "To call back" submenu as the whole menu's layout has it */
static GVariant *
call_back_menu (Fixture *f)
{
  guint revision;
  g_autoptr (GVariant) layout = get_layout (f, &revision);
  GVariant *submenu = find_child (layout, "To call back (");

  g_assert_nonnull (submenu);
  return submenu;
}

/* The id of the item whose label contains `text`, as a host finds it, in
 * the menu or its "To call back" submenu */
static gint32
find_item (Fixture    *f,
           const char *text)
{
  guint revision;
  g_autoptr (GVariant) layout = get_layout (f, &revision);
  g_autoptr (GVariant) item = find_child (layout, text);
  g_autoptr (GVariant) submenu = NULL;
  gint32 id;

  if (item == NULL)
    {
      submenu = find_child (layout, "To call back (");
      item = submenu ? find_child (submenu, text) : NULL;
    }
  if (item == NULL)
    g_error ("No menu item labelled “%s”", text);
  g_variant_get (item, "(i@a{sv}av)", &id, NULL, NULL);
  return id;
}

static GVariant *
menu_property (Fixture    *f,
               gint32      id,
               const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = call_tray (f, MENU_PATH, MENU_IFACE, "GetProperty",
                                          g_variant_new ("(is)", id, name), "(v)", &error);
  GVariant *value;

  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return value;
}

static void
click (Fixture *f,
       gint32   id,
       GError **error)
{
  g_autoptr (GVariant) reply = call_tray (f, MENU_PATH, MENU_IFACE, "Event",
                                          g_variant_new ("(isvu)", id, "clicked",
                                                         g_variant_new_int32 (0), 0),
                                          "()", error);
}

static void
click_label (Fixture    *f,
             const char *text)
{
  g_autoptr (GError) error = NULL;

  click (f, find_item (f, text), &error);
  g_assert_no_error (error);
}

static void
assert_activations (Fixture    *f,
                    const char *first,
                    ...)
{
  va_list args;
  guint i = 0;

  va_start (args, first);
  for (const char *expected = first; expected != NULL; expected = va_arg (args, const char *))
    {
      g_assert_cmpuint (i, <, f->activations->len);
      g_assert_cmpstr (g_ptr_array_index (f->activations, i), ==, expected);
      i++;
    }
  va_end (args);
  g_assert_cmpuint (f->activations->len, ==, i);
}

static void
test_registers (Fixture       *f,
                gconstpointer  data)
{
  g_assert_cmpuint (f->available_notifies, ==, 1);
  g_assert_cmpuint (f->watcher->services->len, ==, 1);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (f->watcher->services, 0),
                                   "org.kde.StatusNotifierItem-"));
}

/* In a sandbox the spec's well-known name may be out of reach (Flatpak
 * lets an app own only its own names): the item registers its connection's
 * unique name instead, and a host reaches it there. */
static void
test_registers_without_well_known_name (Fixture       *f,
                                        gconstpointer  data)
{
  g_autoptr (GVariant) item = NULL;
  const char *id;

  f->watcher = fake_watcher_start (TRUE);
  /* Someone else holds every name this process could take */
  for (int k = 1; k <= 64; k++)
    {
      g_autofree char *name = g_strdup_printf ("org.kde.StatusNotifierItem-%d-%d", (int) getpid (),
                                               k);

      kc_test_bus_own_name (f->host, name);
    }
  start_tray (f);
  KC_TEST_WAIT_UNTIL (kc_tray_get_available (f->tray), WAIT);
  g_assert_cmpuint (f->watcher->services->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->watcher->services, 0), ==,
                   g_dbus_connection_get_unique_name (f->tray_bus));

  item = get_all (f, ITEM_PATH, ITEM_IFACE);
  g_assert_true (g_variant_lookup (item, "Id", "&s", &id));
  g_assert_cmpstr (id, ==, "uz.kerio.Cti");
}

static void
test_properties (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr (GVariant) item = get_all (f, ITEM_PATH, ITEM_IFACE);
  g_autoptr (GVariant) menu = get_all (f, MENU_PATH, MENU_IFACE);
  g_autoptr (GVariant) tooltip = NULL;
  const char *s;
  const char *title;
  const char *text;
  gboolean is_menu;
  guint version;

  g_assert_true (g_variant_lookup (item, "Id", "&s", &s));
  g_assert_cmpstr (s, ==, "uz.kerio.Cti");
  g_assert_true (g_variant_lookup (item, "Category", "&s", &s));
  g_assert_cmpstr (s, ==, "Communications");
  /* The state icons are installed under the build's prefix, which a panel
   * must be told unless it is the system's own */
  g_assert_true (g_variant_lookup (item, "IconThemePath", "&s", &s));
  if (g_str_equal (DATADIR, "/usr/share"))
    g_assert_cmpstr (s, ==, "");
  else
    g_assert_cmpstr (s, ==, DATADIR "/icons");
  g_assert_true (g_variant_lookup (item, "Title", "&s", &s));
  g_assert_cmpstr (s, ==, "Kerio CTI");
  g_assert_true (g_variant_lookup (item, "Status", "&s", &s));
  g_assert_cmpstr (s, ==, "Active");
  g_assert_true (g_variant_lookup (item, "IconName", "&s", &s));
  g_assert_cmpstr (s, ==, "uz.kerio.Cti-connecting-symbolic");
  g_assert_true (g_variant_lookup (item, "Menu", "&o", &s));
  g_assert_cmpstr (s, ==, MENU_PATH);
  g_assert_true (g_variant_lookup (item, "ItemIsMenu", "b", &is_menu));
  g_assert_false (is_menu);

  tooltip = g_variant_lookup_value (item, "ToolTip", G_VARIANT_TYPE ("(sa(iiay)ss)"));
  g_assert_nonnull (tooltip);
  g_variant_get (tooltip, "(&sa(iiay)&s&s)", NULL, NULL, &title, &text);
  g_assert_cmpstr (title, ==, "Kerio CTI");
  g_assert_nonnull (strstr (text, "Connecting"));
  g_assert_nonnull (strstr (text, "Nobody to call back"));

  g_assert_true (g_variant_lookup (menu, "Version", "u", &version));
  g_assert_cmpuint (version, ==, 3);
  g_assert_true (g_variant_lookup (menu, "Status", "&s", &s));
  g_assert_cmpstr (s, ==, "normal");
}

static void
test_connection (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *icon = NULL;
  g_autofree char *text = NULL;

  kc_tray_set_connection (f->tray, KC_TRAY_CONNECTED, NULL);
  KC_TEST_WAIT_UNTIL (count_signals (f, "NewIcon") == 1 && count_signals (f, "NewToolTip") == 1,
                      WAIT);
  icon = item_string (f, "IconName");
  g_assert_cmpstr (icon, ==, "uz.kerio.Cti-symbolic");
  text = tooltip_text (f);
  g_assert_nonnull (strstr (text, "Connected"));
  g_clear_pointer (&icon, g_free);
  g_clear_pointer (&text, g_free);

  kc_tray_set_connection (f->tray, KC_TRAY_ERROR, "Cannot connect to pbx:4021");
  KC_TEST_WAIT_UNTIL (count_signals (f, "NewIcon") == 2 && count_signals (f, "NewToolTip") == 2,
                      WAIT);
  icon = item_string (f, "IconName");
  g_assert_cmpstr (icon, ==, "uz.kerio.Cti-error-symbolic");
  text = tooltip_text (f);
  g_assert_nonnull (strstr (text, "Cannot connect to pbx:4021"));
  g_clear_pointer (&text, g_free);

  /* A new reason with the same state changes the words, not the icon */
  kc_tray_set_connection (f->tray, KC_TRAY_ERROR, "Wrong password");
  KC_TEST_WAIT_UNTIL (count_signals (f, "NewToolTip") == 3, WAIT);
  text = tooltip_text (f);
  g_assert_nonnull (strstr (text, "Wrong password"));
  g_assert_cmpuint (count_signals (f, "NewIcon"), ==, 2);
}

static void
test_ringing (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *status = NULL;
  g_autofree char *attention = NULL;
  const char *signalled;

  kc_tray_set_ringing (f->tray, TRUE);
  KC_TEST_WAIT_UNTIL (count_signals (f, "NewStatus") == 1, WAIT);
  g_variant_get (last_signal_args (f, "NewStatus"), "(&s)", &signalled);
  g_assert_cmpstr (signalled, ==, "NeedsAttention");
  status = item_string (f, "Status");
  g_assert_cmpstr (status, ==, "NeedsAttention");
  attention = item_string (f, "AttentionIconName");
  g_assert_cmpstr (attention, ==, "uz.kerio.Cti-ringing-symbolic");
  g_clear_pointer (&status, g_free);

  kc_tray_set_ringing (f->tray, FALSE);
  KC_TEST_WAIT_UNTIL (count_signals (f, "NewStatus") == 2, WAIT);
  g_variant_get (last_signal_args (f, "NewStatus"), "(&s)", &signalled);
  g_assert_cmpstr (signalled, ==, "Active");
  status = item_string (f, "Status");
  g_assert_cmpstr (status, ==, "Active");
}

/* Caller i: +99890123450i, i attempts a minute apart, the last `age`
 * minutes ago, their last call "call-i" */
static KcCallBack *
make_call_back (int i,
                int age)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *number = g_strdup_printf ("+9989012345%02d", i);
  g_autofree char *call_id = g_strdup_printf ("call-%d", i);
  g_autofree gint64 *attempts = g_new (gint64, i);

  for (int k = 0; k < i; k++)
    attempts[k] = now - (age + i - 1 - k) * 60;
  return kc_call_back_new (number + 4, number, call_id, attempts, i);
}

/* The tray counts callers still to call back, and lists them in a
 * submenu, following the list as callers are reached or call again */
static void
test_call_backs (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr (GListStore) list = g_list_store_new (KC_TYPE_CALL_BACK);
  g_autoptr (GVariant) layout = NULL;
  g_autoptr (GVariant) submenu = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) labels = NULL;
  g_autofree char *text = NULL;
  gint32 fifth, more;
  guint revision;

  for (int i = 1; i <= 12; i++)
    {
      g_autoptr (KcCallBack) call_back = make_call_back (i, i);

      g_list_store_append (list, call_back);
    }
  kc_tray_set_call_backs (f->tray, G_LIST_MODEL (list));
  KC_TEST_WAIT_UNTIL (count_signals (f, "LayoutUpdated") == 1
                      && count_signals (f, "NewToolTip") == 1, WAIT);
  text = tooltip_text (f);
  g_assert_nonnull (strstr (text, "12 callers to call back"));

  layout = get_layout (f, &revision);
  labels = menu_labels (layout);
  g_assert_cmpuint (g_strv_length (labels), ==, 7);
  g_assert_cmpstr (labels[0], ==, "Show window");
  g_assert_cmpstr (labels[1], ==, "Pause pop-ups");
  g_assert_cmpstr (labels[2], ==, "-");
  g_assert_cmpstr (labels[3], ==, "To call back (12)");
  g_assert_cmpstr (labels[4], ==, "-");
  g_assert_cmpstr (labels[5], ==, "Preferences");
  g_assert_cmpstr (labels[6], ==, "Quit");
  g_clear_pointer (&labels, g_strfreev);

  /* The first ten in the list's order, then the rest in the window */
  submenu = call_back_menu (f);
  labels = menu_labels (submenu);
  g_assert_cmpuint (g_strv_length (labels), ==, 11);
  g_assert_true (g_str_has_prefix (labels[0], "+998901234501 · "));
  g_assert_false (g_str_has_suffix (labels[0], "attempts"));
  g_assert_true (g_str_has_prefix (labels[2], "+998901234503 · "));
  g_assert_true (g_str_has_suffix (labels[2], " · 3 attempts"));
  g_assert_true (g_str_has_prefix (labels[9], "+998901234510 · "));
  g_assert_cmpstr (labels[10], ==, "2 more in the window…");

  fifth = find_item (f, "+998901234505");
  click (f, fifth, &error);
  g_assert_no_error (error);
  more = find_item (f, "more in the window");
  click (f, more, &error);
  g_assert_no_error (error);
  assert_activations (f, "show-call call-5", "show-window", NULL);

  /* The first caller is reached: the others keep their items */
  g_list_store_remove (list, 0);
  KC_TEST_WAIT_UNTIL (count_signals (f, "LayoutUpdated") == 2
                      && count_signals (f, "NewToolTip") == 2, WAIT);
  g_clear_pointer (&text, g_free);
  text = tooltip_text (f);
  g_assert_nonnull (strstr (text, "11 callers to call back"));
  g_assert_cmpint (find_item (f, "+998901234505"), ==, fifth);
  g_clear_pointer (&submenu, g_variant_unref);
  g_clear_pointer (&labels, g_strfreev);
  submenu = call_back_menu (f);
  labels = menu_labels (submenu);
  g_assert_true (g_str_has_prefix (labels[0], "+998901234502 · "));
  g_assert_cmpstr (labels[10], ==, "1 more in the window…");

  /* The fifth calls again: a new item, and a click on the old one opens
   * nothing */
  {
    g_autoptr (KcCallBack) again = make_call_back (5, 0);

    g_list_store_splice (list, 3, 1, (gpointer *) &again, 1);
  }
  KC_TEST_WAIT_UNTIL (count_signals (f, "LayoutUpdated") == 3, WAIT);
  g_assert_cmpint (find_item (f, "+998901234505"), !=, fifth);
  click (f, fifth, &error);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
  g_clear_error (&error);

  /* Everybody reached */
  g_list_store_remove_all (list);
  KC_TEST_WAIT_UNTIL (count_signals (f, "LayoutUpdated") == 4, WAIT);
  g_clear_pointer (&layout, g_variant_unref);
  g_clear_pointer (&labels, g_strfreev);
  layout = get_layout (f, &revision);
  labels = menu_labels (layout);
  g_assert_cmpstr (labels[3], ==, "Nobody to call back");
  {
    g_autoptr (GVariant) enabled = menu_property (f, find_item (f, "Nobody to call back"),
                                                  "enabled");

    g_assert_false (g_variant_get_boolean (enabled));
  }
  KC_TEST_WAIT_UNTIL (count_signals (f, "NewToolTip") == 4, WAIT);
  g_clear_pointer (&text, g_free);
  text = tooltip_text (f);
  g_assert_nonnull (strstr (text, "Nobody to call back"));
  assert_activations (f, "show-call call-5", "show-window", NULL);
}

static void
test_menu_actions (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) errors = NULL;
  g_autoptr (GVariantBuilder) events = g_variant_builder_new (G_VARIANT_TYPE ("a(isvu)"));
  const gint32 *failed;
  gsize n_failed;

  click_label (f, "Show window");
  click_label (f, "Preferences");
  click_label (f, "Quit");
  assert_activations (f, "show-window", "preferences", "quit", NULL);

  /* A left click on the icon opens the window, and so does a middle click */
  g_clear_pointer (&reply, g_variant_unref);
  reply = call_tray (f, ITEM_PATH, ITEM_IFACE, "Activate", g_variant_new ("(ii)", 10, 10), "()",
                     &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);
  reply = call_tray (f, ITEM_PATH, ITEM_IFACE, "SecondaryActivate", g_variant_new ("(ii)", 10, 10),
                     "()", &error);
  g_assert_no_error (error);
  assert_activations (f, "show-window", "preferences", "quit", "show-window", "show-window", NULL);

  /* Some hosts batch their events; the unknown id is reported back */
  g_variant_builder_add (events, "(isvu)", find_item (f, "Preferences"), "clicked",
                         g_variant_new_int32 (0), 0);
  g_variant_builder_add (events, "(isvu)", 9999, "clicked", g_variant_new_int32 (0), 0);
  g_clear_pointer (&reply, g_variant_unref);
  reply = call_tray (f, MENU_PATH, MENU_IFACE, "EventGroup", g_variant_new ("(a(isvu))", events),
                     "(ai)", &error);
  g_assert_no_error (error);
  errors = g_variant_get_child_value (reply, 0);
  failed = g_variant_get_fixed_array (errors, &n_failed, sizeof (gint32));
  g_assert_cmpuint (n_failed, ==, 1);
  g_assert_cmpint (failed[0], ==, 9999);
  assert_activations (f, "show-window", "preferences", "quit", "show-window", "show-window",
                      "preferences", NULL);
}

static void
test_pause_toggle (Fixture       *f,
                   gconstpointer  data)
{
  gint32 pause = find_item (f, "Pause pop-ups");
  g_autoptr (GVariant) type = menu_property (f, pause, "toggle-type");
  g_autoptr (GVariant) state = menu_property (f, pause, "toggle-state");
  g_autoptr (GVariant) action_state = NULL;

  g_assert_cmpstr (g_variant_get_string (type, NULL), ==, "checkmark");
  g_assert_cmpint (g_variant_get_int32 (state), ==, 0);

  /* Paused from elsewhere in the app: the checkmark follows */
  g_action_group_change_action_state (G_ACTION_GROUP (f->actions), "pause-popups",
                                      g_variant_new_boolean (TRUE));
  KC_TEST_WAIT_UNTIL (count_signals (f, "ItemsPropertiesUpdated") == 1, WAIT);
  g_clear_pointer (&state, g_variant_unref);
  state = menu_property (f, pause, "toggle-state");
  g_assert_cmpint (g_variant_get_int32 (state), ==, 1);

  /* Unpaused from the menu */
  click_label (f, "Pause pop-ups");
  assert_activations (f, "pause-popups", NULL);
  action_state = g_action_group_get_action_state (G_ACTION_GROUP (f->actions), "pause-popups");
  g_assert_false (g_variant_get_boolean (action_state));
  KC_TEST_WAIT_UNTIL (count_signals (f, "ItemsPropertiesUpdated") == 2, WAIT);
  g_clear_pointer (&state, g_variant_unref);
  state = menu_property (f, pause, "toggle-state");
  g_assert_cmpint (g_variant_get_int32 (state), ==, 0);
}

static void
test_watcher_comes_and_goes (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr (GVariant) item = NULL;
  const char *s;

  start_tray (f);
  /* Without a panel the item still answers, but nobody shows it */
  item = get_all (f, ITEM_PATH, ITEM_IFACE);
  g_assert_true (g_variant_lookup (item, "Id", "&s", &s));
  g_assert_false (kc_tray_get_available (f->tray));
  g_assert_cmpuint (f->available_notifies, ==, 0);

  f->watcher = fake_watcher_start (TRUE);
  KC_TEST_WAIT_UNTIL (kc_tray_get_available (f->tray), WAIT);
  g_assert_cmpuint (f->watcher->services->len, ==, 1);

  /* The panel crashes */
  g_clear_pointer (&f->watcher, fake_watcher_stop);
  KC_TEST_WAIT_UNTIL (!kc_tray_get_available (f->tray), WAIT);

  /* and restarts knowing nothing of us */
  f->watcher = fake_watcher_start (TRUE);
  KC_TEST_WAIT_UNTIL (kc_tray_get_available (f->tray), WAIT);
  g_assert_cmpuint (f->watcher->services->len, ==, 1);
  g_assert_cmpuint (f->available_notifies, ==, 3);
}

static void
test_watcher_without_host (Fixture       *f,
                           gconstpointer  data)
{
  f->watcher = fake_watcher_start (FALSE);
  start_tray (f);
  KC_TEST_WAIT_UNTIL (f->watcher->services->len == 1 && f->watcher->host_queries > 0, WAIT);
  /* Registered, but no panel draws the icon */
  kc_test_run_for (0.2);
  g_assert_false (kc_tray_get_available (f->tray));

  fake_watcher_set_host (f->watcher, TRUE);
  KC_TEST_WAIT_UNTIL (kc_tray_get_available (f->tray), WAIT);

  fake_watcher_set_host (f->watcher, FALSE);
  KC_TEST_WAIT_UNTIL (!kc_tray_get_available (f->tray), WAIT);
}

static void
on_name_vanished (GDBusConnection *bus,
                  const char      *name,
                  gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
test_gone_when_disposed (Fixture       *f,
                         gconstpointer  data)
{
  gboolean vanished = FALSE;
  guint watch = g_bus_watch_name_on_connection (f->host, item_name (f),
                                                G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
                                                on_name_vanished, &vanished, NULL);

  /* The icon leaves the panel when the application quits */
  g_clear_object (&f->tray);
  KC_TEST_WAIT_UNTIL (vanished, WAIT);
  g_bus_unwatch_name (watch);
}

int
main (int   argc,
      char *argv[])
{
  kc_test_bus_up ();
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/tray/registers", Fixture, NULL, setup, test_registers, teardown);
  g_test_add ("/tray/properties", Fixture, NULL, setup, test_properties, teardown);
  g_test_add ("/tray/registers-without-well-known-name", Fixture, NULL, setup_bare,
              test_registers_without_well_known_name, teardown);
  g_test_add ("/tray/connection", Fixture, NULL, setup, test_connection, teardown);
  g_test_add ("/tray/ringing", Fixture, NULL, setup, test_ringing, teardown);
  g_test_add ("/tray/call-backs", Fixture, NULL, setup, test_call_backs, teardown);
  g_test_add ("/tray/menu-actions", Fixture, NULL, setup, test_menu_actions, teardown);
  g_test_add ("/tray/pause-toggle", Fixture, NULL, setup, test_pause_toggle, teardown);
  g_test_add ("/tray/watcher-comes-and-goes", Fixture, NULL, setup_bare,
              test_watcher_comes_and_goes, teardown);
  g_test_add ("/tray/watcher-without-host", Fixture, NULL, setup_bare, test_watcher_without_host,
              teardown);
  g_test_add ("/tray/gone-when-disposed", Fixture, NULL, setup, test_gone_when_disposed, teardown);

  return g_test_run ();
}

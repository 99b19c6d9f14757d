/* kc-tray.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-tray"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <unistd.h>

#include "kc-tray.h"

#define ITEM_PATH     "/StatusNotifierItem"
#define ITEM_IFACE    "org.kde.StatusNotifierItem"
#define MENU_PATH     "/MenuBar"
#define MENU_IFACE    "com.canonical.dbusmenu"
#define WATCHER_NAME  "org.kde.StatusNotifierWatcher"
#define WATCHER_PATH  "/StatusNotifierWatcher"
#define WATCHER_IFACE "org.kde.StatusNotifierWatcher"

#define MENU_MISSED_MAX   5
#define MENU_CHILDREN_MAX (7 + MENU_MISSED_MAX)

/* Menu item ids. Each missed call gets a fresh id when it is added, so a
 * click on a menu the host drew before the list moved on cannot open another
 * call than the one its label named. */
enum {
  ITEM_ROOT,
  ITEM_SHOW_WINDOW,
  ITEM_PAUSE_POPUPS,
  ITEM_SEPARATOR_MISSED,
  ITEM_NO_MISSED,
  ITEM_SEPARATOR_END,
  ITEM_PREFERENCES,
  ITEM_QUIT,
  ITEM_FIRST_MISSED = 100,
};

typedef struct
{
  gint32  item_id;
  char   *call_id;
  char   *number;
  gint64  when;
} KcMissedCall;

struct _KcTray
{
  GObject            parent_instance;

  GDBusConnection   *bus;
  GActionGroup      *actions;
  char              *bus_name;
  gboolean           unique_name; /* bus_name is the connection's, not owned */

  guint              item_registration;
  guint              menu_registration;
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

  GPtrArray         *missed; /* KcMissedCall, newest first, at most MENU_MISSED_MAX */
  guint              n_missed;
  GHashTable        *missed_ids; /* call ids counted in n_missed */
  gint32             next_missed_id;
  guint              revision;
};

G_DEFINE_FINAL_TYPE (KcTray, kc_tray, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_AVAILABLE,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static GDBusInterfaceInfo *item_iface_info;
static GDBusInterfaceInfo *menu_iface_info;

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

static const char menu_xml[] =
  "<node>"
  "  <interface name='" MENU_IFACE "'>"
  "    <property name='Version' type='u' access='read'/>"
  "    <property name='TextDirection' type='s' access='read'/>"
  "    <property name='Status' type='s' access='read'/>"
  "    <property name='IconThemePath' type='as' access='read'/>"
  "    <method name='GetLayout'>"
  "      <arg name='parentId' type='i' direction='in'/>"
  "      <arg name='recursionDepth' type='i' direction='in'/>"
  "      <arg name='propertyNames' type='as' direction='in'/>"
  "      <arg name='revision' type='u' direction='out'/>"
  "      <arg name='layout' type='(ia{sv}av)' direction='out'/>"
  "    </method>"
  "    <method name='GetGroupProperties'>"
  "      <arg name='ids' type='ai' direction='in'/>"
  "      <arg name='propertyNames' type='as' direction='in'/>"
  "      <arg name='properties' type='a(ia{sv})' direction='out'/>"
  "    </method>"
  "    <method name='GetProperty'>"
  "      <arg name='id' type='i' direction='in'/>"
  "      <arg name='name' type='s' direction='in'/>"
  "      <arg name='value' type='v' direction='out'/>"
  "    </method>"
  "    <method name='Event'>"
  "      <arg name='id' type='i' direction='in'/>"
  "      <arg name='eventId' type='s' direction='in'/>"
  "      <arg name='data' type='v' direction='in'/>"
  "      <arg name='timestamp' type='u' direction='in'/>"
  "    </method>"
  "    <method name='EventGroup'>"
  "      <arg name='events' type='a(isvu)' direction='in'/>"
  "      <arg name='idErrors' type='ai' direction='out'/>"
  "    </method>"
  "    <method name='AboutToShow'>"
  "      <arg name='id' type='i' direction='in'/>"
  "      <arg name='needUpdate' type='b' direction='out'/>"
  "    </method>"
  "    <method name='AboutToShowGroup'>"
  "      <arg name='ids' type='ai' direction='in'/>"
  "      <arg name='updatesNeeded' type='ai' direction='out'/>"
  "      <arg name='idErrors' type='ai' direction='out'/>"
  "    </method>"
  "    <signal name='ItemsPropertiesUpdated'>"
  "      <arg name='updatedProps' type='a(ia{sv})'/>"
  "      <arg name='removedProps' type='a(ias)'/>"
  "    </signal>"
  "    <signal name='LayoutUpdated'>"
  "      <arg name='revision' type='u'/>"
  "      <arg name='parent' type='i'/>"
  "    </signal>"
  "  </interface>"
  "</node>";

static void
kc_missed_call_free (KcMissedCall *call)
{
  g_free (call->call_id);
  g_free (call->number);
  g_free (call);
}

static void
emit_item_signal (KcTray     *self,
                  const char *name,
                  GVariant   *parameters)
{
  g_dbus_connection_emit_signal (self->bus, NULL, ITEM_PATH, ITEM_IFACE, name, parameters, NULL);
}

static void
layout_changed (KcTray *self)
{
  self->revision++;
  g_dbus_connection_emit_signal (self->bus, NULL, MENU_PATH, MENU_IFACE, "LayoutUpdated",
                                 g_variant_new ("(ui)", self->revision, ITEM_ROOT), NULL);
}

static void
activate (KcTray     *self,
          const char *action,
          GVariant   *parameter)
{
  g_autoptr (GVariant) owned = parameter ? g_variant_ref_sink (parameter) : NULL;
  gboolean enabled;

  /* A host may click an item of a menu it drew before an action went away */
  if (!g_action_group_query_action (self->actions, action, &enabled, NULL, NULL, NULL, NULL)
      || !enabled)
    return;
  g_action_group_activate_action (self->actions, action, owned);
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
  g_autofree char *missed = NULL;
  g_autofree char *text = NULL;
  g_autofree char *markup = NULL;

  if (self->n_missed == 0)
    missed = g_strdup (_("No missed calls"));
  else
    missed = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u missed call", "%u missed calls",
                                           self->n_missed),
                              self->n_missed);
  text = g_strconcat (state, "\n", missed, NULL);
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
  if (g_str_equal (method_name, "Activate") || g_str_equal (method_name, "SecondaryActivate"))
    activate (self, "show-window", NULL);
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
    return g_variant_new_object_path (MENU_PATH);
  if (g_str_has_suffix (property_name, "Pixmap"))
    return g_variant_new_array (G_VARIANT_TYPE ("(iiay)"), NULL, 0);
  if (g_str_equal (property_name, "IconThemePath"))
    return g_variant_new_string (icon_theme_path ());
  /* OverlayIconName, AttentionMovieName */
  return g_variant_new_string ("");
}

static const KcMissedCall *
find_missed (KcTray *self,
             gint32  item_id)
{
  for (guint i = 0; i < self->missed->len; i++)
    {
      const KcMissedCall *call = g_ptr_array_index (self->missed, i);

      if (call->item_id == item_id)
        return call;
    }
  return NULL;
}

static char *
missed_label (const KcMissedCall *call)
{
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_local (call->when);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  const char *number = call->number && *call->number ? call->number : _("Unknown number");
  g_autofree char *time = NULL;
  int y1, m1, d1, y2, m2, d2;

  if (when == NULL)
    return g_strdup (number);
  g_date_time_get_ymd (when, &y1, &m1, &d1);
  g_date_time_get_ymd (now, &y2, &m2, &d2);
  /* A bare 14:05 from yesterday would read as today's */
  time = g_date_time_format (when, y1 == y2 && m1 == m2 && d1 == d2 ? "%H:%M" : "%d.%m %H:%M");
  return g_strdup_printf ("%s · %s", number, time);
}

/* Takes `value`; keeps it when `names` is empty (all) or lists `key` */
static void
put (GVariantDict       *dict,
     const char * const *names,
     const char         *key,
     GVariant           *value)
{
  g_autoptr (GVariant) owned = g_variant_ref_sink (value);

  if (names == NULL || names[0] == NULL || g_strv_contains (names, key))
    g_variant_dict_insert_value (dict, key, owned);
}

/* The properties of a menu item that is in the menu now, NULL for any other
 * id. Defaults (type standard, enabled, visible) are left out, as the dbusmenu
 * spec asks. */
static GVariant *
menu_item_properties (KcTray             *self,
                      gint32              id,
                      const char * const *names)
{
  GVariantDict dict;
  g_autoptr (GVariant) state = NULL;
  const KcMissedCall *call;

  g_variant_dict_init (&dict, NULL);
  switch (id)
    {
    case ITEM_ROOT:
      put (&dict, names, "children-display", g_variant_new_string ("submenu"));
      break;
    case ITEM_SHOW_WINDOW:
      put (&dict, names, "label", g_variant_new_string (_("Show window")));
      break;
    case ITEM_PAUSE_POPUPS:
      g_action_group_query_action (self->actions, "pause-popups", NULL, NULL, NULL, NULL, &state);
      put (&dict, names, "label", g_variant_new_string (_("Pause pop-ups")));
      put (&dict, names, "toggle-type", g_variant_new_string ("checkmark"));
      put (&dict, names, "toggle-state",
           g_variant_new_int32 (state && g_variant_is_of_type (state, G_VARIANT_TYPE_BOOLEAN)
                                && g_variant_get_boolean (state)));
      break;
    case ITEM_SEPARATOR_MISSED:
    case ITEM_SEPARATOR_END:
      put (&dict, names, "type", g_variant_new_string ("separator"));
      break;
    case ITEM_NO_MISSED:
      if (self->missed->len > 0)
        goto unknown;
      put (&dict, names, "label", g_variant_new_string (_("No missed calls")));
      put (&dict, names, "enabled", g_variant_new_boolean (FALSE));
      break;
    case ITEM_PREFERENCES:
      put (&dict, names, "label", g_variant_new_string (_("Preferences")));
      break;
    case ITEM_QUIT:
      put (&dict, names, "label", g_variant_new_string (_("Quit")));
      break;
    default:
      call = find_missed (self, id);
      if (call == NULL)
        goto unknown;
      put (&dict, names, "label", g_variant_new_take_string (missed_label (call)));
    }
  return g_variant_dict_end (&dict);

unknown:
  g_variant_dict_clear (&dict);
  return NULL;
}

static guint
menu_children (KcTray *self,
               gint32  ids[MENU_CHILDREN_MAX])
{
  guint n = 0;

  ids[n++] = ITEM_SHOW_WINDOW;
  ids[n++] = ITEM_PAUSE_POPUPS;
  ids[n++] = ITEM_SEPARATOR_MISSED;
  for (guint i = 0; i < self->missed->len; i++)
    ids[n++] = ((KcMissedCall *) g_ptr_array_index (self->missed, i))->item_id;
  if (self->missed->len == 0)
    ids[n++] = ITEM_NO_MISSED;
  ids[n++] = ITEM_SEPARATOR_END;
  ids[n++] = ITEM_PREFERENCES;
  ids[n++] = ITEM_QUIT;
  return n;
}

static GVariant *
menu_layout (KcTray             *self,
             gint32              id,
             int                 depth,
             const char * const *names)
{
  GVariant *properties = menu_item_properties (self, id, names);
  GVariantBuilder children;

  if (properties == NULL)
    return NULL;
  g_variant_builder_init (&children, G_VARIANT_TYPE ("av"));
  /* A negative depth means all levels */
  if (id == ITEM_ROOT && depth != 0)
    {
      gint32 ids[MENU_CHILDREN_MAX];
      guint n = menu_children (self, ids);

      for (guint i = 0; i < n; i++)
        g_variant_builder_add (&children, "v", menu_layout (self, ids[i], depth - 1, names));
    }
  return g_variant_new ("(i@a{sv}av)", id, properties, &children);
}

static gboolean
menu_has_item (KcTray *self,
               gint32  id)
{
  g_autoptr (GVariant) properties = menu_item_properties (self, id, NULL);

  return properties != NULL;
}

static void
menu_item_clicked (KcTray *self,
                   gint32  id)
{
  const KcMissedCall *call;

  switch (id)
    {
    case ITEM_SHOW_WINDOW:
      activate (self, "show-window", NULL);
      break;
    case ITEM_PAUSE_POPUPS:
      activate (self, "pause-popups", NULL);
      break;
    case ITEM_PREFERENCES:
      activate (self, "preferences", NULL);
      break;
    case ITEM_QUIT:
      activate (self, "quit", NULL);
      break;
    default:
      call = find_missed (self, id);
      if (call != NULL)
        activate (self, "show-call", g_variant_new_string (call->call_id));
    }
}

static void
unknown_item (GDBusMethodInvocation *invocation,
              gint32                 id)
{
  g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                         "No menu item %d", id);
}

static void
menu_get_group_properties (KcTray                *self,
                           GVariant              *parameters,
                           GDBusMethodInvocation *invocation)
{
  g_autoptr (GVariant) ids_variant = NULL;
  g_autofree const char **names = NULL;
  gint32 children[MENU_CHILDREN_MAX + 1];
  const gint32 *ids;
  gsize n_ids;
  GVariantBuilder items;

  g_variant_get (parameters, "(@ai^a&s)", &ids_variant, &names);
  ids = g_variant_get_fixed_array (ids_variant, &n_ids, sizeof (gint32));
  /* An empty list asks for every item */
  if (n_ids == 0)
    {
      children[0] = ITEM_ROOT;
      n_ids = 1 + menu_children (self, children + 1);
      ids = children;
    }
  g_variant_builder_init (&items, G_VARIANT_TYPE ("a(ia{sv})"));
  for (gsize i = 0; i < n_ids; i++)
    {
      GVariant *properties = menu_item_properties (self, ids[i], names);

      if (properties != NULL)
        g_variant_builder_add (&items, "(i@a{sv})", ids[i], properties);
    }
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(a(ia{sv}))", &items));
}

static void
menu_event_group (KcTray                *self,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation)
{
  g_autoptr (GVariantIter) events = NULL;
  g_autoptr (GArray) clicked = g_array_new (FALSE, FALSE, sizeof (gint32));
  GVariantBuilder errors;
  const char *event;
  gint32 id;
  gsize n_events;
  gsize n_errors = 0;

  g_variant_get (parameters, "(a(isvu))", &events);
  n_events = g_variant_iter_n_children (events);
  g_variant_builder_init (&errors, G_VARIANT_TYPE ("ai"));
  while (g_variant_iter_next (events, "(i&s@vu)", &id, &event, NULL, NULL))
    {
      if (!menu_has_item (self, id))
        {
          g_variant_builder_add (&errors, "i", id);
          n_errors++;
        }
      else if (g_str_equal (event, "clicked"))
        g_array_append_val (clicked, id);
    }

  if (n_events > 0 && n_errors == n_events)
    {
      g_variant_builder_clear (&errors);
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "No such menu items");
      return;
    }
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(ai)", &errors));
  for (guint i = 0; i < clicked->len; i++)
    menu_item_clicked (self, g_array_index (clicked, gint32, i));
}

static void
menu_about_to_show_group (KcTray                *self,
                          GVariant              *parameters,
                          GDBusMethodInvocation *invocation)
{
  g_autoptr (GVariantIter) ids = NULL;
  GVariantBuilder errors;
  gint32 id;

  g_variant_get (parameters, "(ai)", &ids);
  g_variant_builder_init (&errors, G_VARIANT_TYPE ("ai"));
  while (g_variant_iter_next (ids, "i", &id))
    if (!menu_has_item (self, id))
      g_variant_builder_add (&errors, "i", id);
  /* Changes are pushed with LayoutUpdated, so no item ever needs an update */
  g_dbus_method_invocation_return_value (invocation,
                                         g_variant_new ("(@aiai)",
                                                        g_variant_new_array (G_VARIANT_TYPE_INT32,
                                                                             NULL, 0),
                                                        &errors));
}

static void
menu_method_call (GDBusConnection       *connection,
                  const char            *sender,
                  const char            *object_path,
                  const char            *interface_name,
                  const char            *method_name,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation,
                  gpointer               user_data)
{
  /* A click may activate "quit", whose handler may drop the last reference */
  g_autoptr (KcTray) self = g_object_ref (user_data);

  if (g_str_equal (method_name, "GetLayout"))
    {
      g_autofree const char **names = NULL;
      GVariant *layout;
      gint32 parent;
      int depth;

      g_variant_get (parameters, "(ii^a&s)", &parent, &depth, &names);
      layout = menu_layout (self, parent, depth, names);
      if (layout == NULL)
        unknown_item (invocation, parent);
      else
        g_dbus_method_invocation_return_value (invocation,
                                               g_variant_new ("(u@(ia{sv}av))", self->revision,
                                                              layout));
    }
  else if (g_str_equal (method_name, "GetGroupProperties"))
    {
      menu_get_group_properties (self, parameters, invocation);
    }
  else if (g_str_equal (method_name, "GetProperty"))
    {
      const char *name;
      gint32 id;
      g_autoptr (GVariant) properties = NULL;
      g_autoptr (GVariant) value = NULL;

      g_variant_get (parameters, "(i&s)", &id, &name);
      properties = menu_item_properties (self, id, (const char *[]) { name, NULL });
      if (properties == NULL)
        {
          unknown_item (invocation, id);
          return;
        }
      value = g_variant_lookup_value (properties, name, NULL);
      if (value == NULL)
        g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                               "Menu item %d has no property %s", id, name);
      else
        g_dbus_method_invocation_return_value (invocation, g_variant_new ("(v)", value));
    }
  else if (g_str_equal (method_name, "Event"))
    {
      const char *event;
      gint32 id;

      g_variant_get (parameters, "(i&s@vu)", &id, &event, NULL, NULL);
      if (!menu_has_item (self, id))
        {
          unknown_item (invocation, id);
          return;
        }
      g_dbus_method_invocation_return_value (invocation, NULL);
      if (g_str_equal (event, "clicked"))
        menu_item_clicked (self, id);
    }
  else if (g_str_equal (method_name, "EventGroup"))
    {
      menu_event_group (self, parameters, invocation);
    }
  else if (g_str_equal (method_name, "AboutToShow"))
    {
      gint32 id;

      g_variant_get (parameters, "(i)", &id);
      if (!menu_has_item (self, id))
        unknown_item (invocation, id);
      else
        g_dbus_method_invocation_return_value (invocation, g_variant_new ("(b)", FALSE));
    }
  else if (g_str_equal (method_name, "AboutToShowGroup"))
    {
      menu_about_to_show_group (self, parameters, invocation);
    }
}

static GVariant *
menu_get_property (GDBusConnection *connection,
                   const char      *sender,
                   const char      *object_path,
                   const char      *interface_name,
                   const char      *property_name,
                   GError         **error,
                   gpointer         user_data)
{
  if (g_str_equal (property_name, "Version"))
    return g_variant_new_uint32 (3);
  /* All our languages, Uzbek in both scripts among them, run left to right */
  if (g_str_equal (property_name, "TextDirection"))
    return g_variant_new_string ("ltr");
  if (g_str_equal (property_name, "Status"))
    return g_variant_new_string ("normal");
  /* IconThemePath */
  return g_variant_new_strv (NULL, 0);
}

static const GDBusInterfaceVTable item_vtable = {
  .method_call = item_method_call,
  .get_property = item_get_property,
};

static const GDBusInterfaceVTable menu_vtable = {
  .method_call = menu_method_call,
  .get_property = menu_get_property,
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
pause_state_changed (GActionGroup *actions,
                     const char   *action_name,
                     GVariant     *state,
                     gpointer      user_data)
{
  KcTray *self = user_data;
  GVariantBuilder updated;

  g_variant_builder_init (&updated, G_VARIANT_TYPE ("a(ia{sv})"));
  g_variant_builder_add (&updated, "(i@a{sv})", ITEM_PAUSE_POPUPS,
                         menu_item_properties (self, ITEM_PAUSE_POPUPS,
                                               (const char *[]) { "toggle-state", NULL }));
  g_dbus_connection_emit_signal (self->bus, NULL, MENU_PATH, MENU_IFACE, "ItemsPropertiesUpdated",
                                 g_variant_new ("(a(ia{sv})a(ias))", &updated, NULL), NULL);
}

static void
kc_tray_dispose (GObject *object)
{
  KcTray *self = KC_TRAY (object);

  if (self->actions != NULL)
    g_signal_handlers_disconnect_by_data (self->actions, self);
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
  if (self->menu_registration != 0)
    g_dbus_connection_unregister_object (self->bus, self->menu_registration);
  self->menu_registration = 0;
  g_clear_object (&self->actions);
  g_clear_object (&self->bus);

  G_OBJECT_CLASS (kc_tray_parent_class)->dispose (object);
}

static void
kc_tray_finalize (GObject *object)
{
  KcTray *self = KC_TRAY (object);

  g_clear_pointer (&self->missed, g_ptr_array_unref);
  g_clear_pointer (&self->missed_ids, g_hash_table_unref);
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
  node = g_dbus_node_info_new_for_xml (menu_xml, NULL);
  menu_iface_info = g_dbus_interface_info_ref (node->interfaces[0]);
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
  self->missed = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_missed_call_free);
  self->missed_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->next_missed_id = ITEM_FIRST_MISSED;
  self->revision = 1;
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
  self->actions = g_object_ref (actions);
  g_signal_connect (actions, "action-state-changed::pause-popups",
                    G_CALLBACK (pause_state_changed), self);

  /* Objects first, so the watcher and its host find them the moment they
   * hear our name */
  self->item_registration = g_dbus_connection_register_object (bus, ITEM_PATH, item_iface_info,
                                                               &item_vtable, self, NULL, &error);
  if (error == NULL)
    self->menu_registration = g_dbus_connection_register_object (bus, MENU_PATH, menu_iface_info,
                                                                 &menu_vtable, self, NULL, &error);
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

void
kc_tray_add_missed_call (KcTray     *self,
                         const char *call_id,
                         const char *number,
                         gint64      when_unix)
{
  guint pos;

  g_return_if_fail (KC_IS_TRAY (self));
  g_return_if_fail (call_id != NULL);

  if (!g_hash_table_add (self->missed_ids, g_strdup (call_id)))
    return;
  self->n_missed++;
  /* Calls may be reported out of order (live ones and ones the history sync
   * found); the menu lists the newest by time, equal times newest added first */
  for (pos = 0; pos < self->missed->len; pos++)
    if (((KcMissedCall *) g_ptr_array_index (self->missed, pos))->when <= when_unix)
      break;
  if (pos < MENU_MISSED_MAX)
    {
      KcMissedCall *call = g_new0 (KcMissedCall, 1);

      call->item_id = self->next_missed_id++;
      call->call_id = g_strdup (call_id);
      call->number = g_strdup (number);
      call->when = when_unix;
      g_ptr_array_insert (self->missed, pos, call);
      if (self->missed->len > MENU_MISSED_MAX)
        g_ptr_array_remove_index (self->missed, MENU_MISSED_MAX);
      layout_changed (self);
    }
  emit_item_signal (self, "NewToolTip", NULL);
}

void
kc_tray_clear_missed (KcTray *self)
{
  g_return_if_fail (KC_IS_TRAY (self));

  if (self->n_missed == 0)
    return;
  self->n_missed = 0;
  g_hash_table_remove_all (self->missed_ids);
  g_ptr_array_set_size (self->missed, 0);
  layout_changed (self);
  emit_item_signal (self, "NewToolTip", NULL);
}

void
kc_tray_remove_missed_call (KcTray     *self,
                            const char *call_id)
{
  g_return_if_fail (KC_IS_TRAY (self));
  g_return_if_fail (call_id != NULL);

  if (!g_hash_table_remove (self->missed_ids, call_id))
    return;
  self->n_missed--;
  for (guint i = 0; i < self->missed->len; i++)
    if (g_str_equal (((KcMissedCall *) g_ptr_array_index (self->missed, i))->call_id, call_id))
      {
        g_ptr_array_remove_index (self->missed, i);
        layout_changed (self);
        break;
      }
  emit_item_signal (self, "NewToolTip", NULL);
}

guint
kc_tray_get_n_missed (KcTray *self)
{
  g_return_val_if_fail (KC_IS_TRAY (self), 0);
  return self->n_missed;
}

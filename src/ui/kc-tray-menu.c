/* kc-tray-menu.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-tray"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "core/kc-call-back.h"
#include "kc-call-back-list.h"
#include "kc-tray-menu.h"

#define MENU_IFACE "com.canonical.dbusmenu"

/* The root's children, and the "To call back" submenu's at most */
#define ROOT_CHILDREN      7
#define CALL_BACK_CHILDREN (KC_TRAY_MENU_CALL_BACKS_MAX + 1)

/* Menu item ids. A caller's item keeps its id while the caller and their
 * last missed call stay the same, and a changed or new one gets a fresh id,
 * so a click on a menu the host drew before the list moved on cannot open
 * another call than the one its label named. */
enum {
  ITEM_ROOT,
  ITEM_SHOW_WINDOW,
  ITEM_PAUSE_POPUPS,
  ITEM_SEPARATOR_CALL_BACK,
  ITEM_CALL_BACK,      /* the submenu; "Nobody to call back" when empty */
  ITEM_CALL_BACK_MORE, /* the callers beyond the ones listed */
  ITEM_SEPARATOR_END,
  ITEM_PREFERENCES,
  ITEM_QUIT,
  ITEM_FIRST_CALL_BACK = 100,
};

typedef struct
{
  gint32      item_id;
  KcCallBack *call_back;
} Entry;

struct _KcTrayMenu
{
  GObject          parent_instance;

  GDBusConnection *bus;
  GActionGroup    *actions;
  guint            registration;
  guint            revision;

  GListModel      *call_backs; /* NULL: none */
  GArray          *entries;    /* Entry, the listed callers in the model's order */
  gint32           next_entry_id;
};

G_DEFINE_FINAL_TYPE (KcTrayMenu, kc_tray_menu, G_TYPE_OBJECT)

static GDBusInterfaceInfo *menu_iface_info;

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

void
kc_tray_menu_activate (KcTrayMenu *self,
                       const char *action,
                       GVariant   *parameter)
{
  g_autoptr (GVariant) owned = parameter ? g_variant_ref_sink (parameter) : NULL;
  gboolean enabled;

  g_return_if_fail (KC_IS_TRAY_MENU (self));

  if (!g_action_group_query_action (self->actions, action, &enabled, NULL, NULL, NULL, NULL)
      || !enabled)
    return;
  g_action_group_activate_action (self->actions, action, owned);
}

static guint
n_call_backs (KcTrayMenu *self)
{
  return self->call_backs ? g_list_model_get_n_items (self->call_backs) : 0;
}

static const Entry *
find_entry (KcTrayMenu *self,
            gint32      item_id)
{
  for (guint i = 0; i < self->entries->len; i++)
    {
      const Entry *entry = &g_array_index (self->entries, Entry, i);

      if (entry->item_id == item_id)
        return entry;
    }
  return NULL;
}

/* "+998901234567 · 14:05", the time of the last missed call, with how
 * many there were when more than one */
static char *
call_back_label (KcCallBack *call_back)
{
  const char *number = kc_call_back_get_number (call_back);
  guint n = kc_call_back_get_n_attempts (call_back);
  g_autofree char *time = kc_format_attempt_time (kc_call_back_get_last_attempt (call_back));

  if (n == 1)
    return g_strdup_printf ("%s · %s", number, time);
  /* TRANSLATORS: a caller to call back: their number, the time of their last
   * missed call, how many times they called */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s · %s · %u attempt",
                                       "%s · %s · %u attempts", n),
                          number, time, n);
}

static void
layout_changed (KcTrayMenu *self)
{
  self->revision++;
  g_dbus_connection_emit_signal (self->bus, NULL, KC_TRAY_MENU_PATH, MENU_IFACE, "LayoutUpdated",
                                 g_variant_new ("(ui)", self->revision, ITEM_ROOT), NULL);
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
menu_item_properties (KcTrayMenu         *self,
                      gint32              id,
                      const char * const *names)
{
  GVariantDict dict;
  g_autoptr (GVariant) state = NULL;
  const Entry *entry;
  guint n = n_call_backs (self);

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
    case ITEM_SEPARATOR_CALL_BACK:
    case ITEM_SEPARATOR_END:
      put (&dict, names, "type", g_variant_new_string ("separator"));
      break;
    case ITEM_CALL_BACK:
      if (n == 0)
        {
          put (&dict, names, "label", g_variant_new_string (_("Nobody to call back")));
          put (&dict, names, "enabled", g_variant_new_boolean (FALSE));
          break;
        }
      /* TRANSLATORS: the heading over the callers to call back, how many */
      put (&dict, names, "label", g_variant_new_take_string (g_strdup_printf (_("To call back (%u)"),
                                                                              n)));
      put (&dict, names, "children-display", g_variant_new_string ("submenu"));
      break;
    case ITEM_CALL_BACK_MORE:
      if (n <= self->entries->len)
        goto unknown;
      /* TRANSLATORS: after the callers the tray menu lists: how many more
       * there are, in the window */
      put (&dict, names, "label",
           g_variant_new_take_string (g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                                    "%u more in the window…",
                                                                    "%u more in the window…",
                                                                    n - self->entries->len),
                                                       n - self->entries->len)));
      break;
    case ITEM_PREFERENCES:
      put (&dict, names, "label", g_variant_new_string (_("Preferences")));
      break;
    case ITEM_QUIT:
      put (&dict, names, "label", g_variant_new_string (_("Quit")));
      break;
    default:
      entry = find_entry (self, id);
      if (entry == NULL)
        goto unknown;
      put (&dict, names, "label", g_variant_new_take_string (call_back_label (entry->call_back)));
    }
  return g_variant_dict_end (&dict);

unknown:
  g_variant_dict_clear (&dict);
  return NULL;
}

/* The children of item `id` in the menu now; 0 for an item without */
static guint
menu_children (KcTrayMenu *self,
               gint32      id,
               gint32      ids[CALL_BACK_CHILDREN])
{
  guint n = 0;

  if (id == ITEM_ROOT)
    {
      ids[n++] = ITEM_SHOW_WINDOW;
      ids[n++] = ITEM_PAUSE_POPUPS;
      ids[n++] = ITEM_SEPARATOR_CALL_BACK;
      ids[n++] = ITEM_CALL_BACK;
      ids[n++] = ITEM_SEPARATOR_END;
      ids[n++] = ITEM_PREFERENCES;
      ids[n++] = ITEM_QUIT;
    }
  else if (id == ITEM_CALL_BACK)
    {
      for (guint i = 0; i < self->entries->len; i++)
        ids[n++] = g_array_index (self->entries, Entry, i).item_id;
      if (n_call_backs (self) > self->entries->len)
        ids[n++] = ITEM_CALL_BACK_MORE;
    }
  return n;
}

static GVariant *
menu_layout (KcTrayMenu         *self,
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
  if (depth != 0)
    {
      gint32 ids[CALL_BACK_CHILDREN];
      guint n = menu_children (self, id, ids);

      for (guint i = 0; i < n; i++)
        g_variant_builder_add (&children, "v", menu_layout (self, ids[i], depth - 1, names));
    }
  return g_variant_new ("(i@a{sv}av)", id, properties, &children);
}

static gboolean
menu_has_item (KcTrayMenu *self,
               gint32      id)
{
  g_autoptr (GVariant) properties = menu_item_properties (self, id, NULL);

  return properties != NULL;
}

static void
menu_item_clicked (KcTrayMenu *self,
                   gint32      id)
{
  const Entry *entry;

  switch (id)
    {
    case ITEM_SHOW_WINDOW:
    case ITEM_CALL_BACK_MORE:
      kc_tray_menu_activate (self, "show-window", NULL);
      break;
    case ITEM_PAUSE_POPUPS:
      kc_tray_menu_activate (self, "pause-popups", NULL);
      break;
    case ITEM_PREFERENCES:
      kc_tray_menu_activate (self, "preferences", NULL);
      break;
    case ITEM_QUIT:
      kc_tray_menu_activate (self, "quit", NULL);
      break;
    default:
      entry = find_entry (self, id);
      if (entry != NULL && kc_call_back_get_call_id (entry->call_back) != NULL)
        kc_tray_menu_activate (self, "show-call",
                               g_variant_new_string (kc_call_back_get_call_id (entry->call_back)));
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
menu_get_group_properties (KcTrayMenu            *self,
                           GVariant              *parameters,
                           GDBusMethodInvocation *invocation)
{
  g_autoptr (GVariant) ids_variant = NULL;
  g_autofree const char **names = NULL;
  gint32 all[1 + ROOT_CHILDREN + CALL_BACK_CHILDREN];
  const gint32 *ids;
  gsize n_ids;
  GVariantBuilder items;

  g_variant_get (parameters, "(@ai^a&s)", &ids_variant, &names);
  ids = g_variant_get_fixed_array (ids_variant, &n_ids, sizeof (gint32));
  /* An empty list asks for every item */
  if (n_ids == 0)
    {
      all[0] = ITEM_ROOT;
      n_ids = 1 + menu_children (self, ITEM_ROOT, all + 1);
      n_ids += menu_children (self, ITEM_CALL_BACK, all + n_ids);
      ids = all;
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
menu_event_group (KcTrayMenu            *self,
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
menu_about_to_show_group (KcTrayMenu            *self,
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
  g_autoptr (KcTrayMenu) self = g_object_ref (user_data);

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

static const GDBusInterfaceVTable menu_vtable = {
  .method_call = menu_method_call,
  .get_property = menu_get_property,
};

static void
entry_clear (gpointer data)
{
  g_clear_object (&((Entry *) data)->call_back);
}

/* The listed callers again from the model, keeping the ids of those whose
 * item says the same as before */
static void
update_entries (KcTrayMenu *self)
{
  g_autoptr (GArray) old = self->entries;
  guint n = MIN (n_call_backs (self), KC_TRAY_MENU_CALL_BACKS_MAX);

  self->entries = g_array_sized_new (FALSE, FALSE, sizeof (Entry), n);
  g_array_set_clear_func (self->entries, entry_clear);
  for (guint i = 0; i < n; i++)
    {
      Entry entry = { 0, g_list_model_get_item (self->call_backs, i) };

      for (guint j = 0; j < old->len && entry.item_id == 0; j++)
        if (kc_call_back_equal (g_array_index (old, Entry, j).call_back, entry.call_back))
          entry.item_id = g_array_index (old, Entry, j).item_id;
      if (entry.item_id == 0)
        entry.item_id = self->next_entry_id++;
      g_array_append_val (self->entries, entry);
    }
}

static void
on_call_backs_changed (KcTrayMenu *self)
{
  update_entries (self);
  layout_changed (self);
}

void
kc_tray_menu_set_call_backs (KcTrayMenu *self,
                             GListModel *call_backs)
{
  g_return_if_fail (KC_IS_TRAY_MENU (self));
  g_return_if_fail (call_backs == NULL || G_IS_LIST_MODEL (call_backs));

  if (self->call_backs == call_backs)
    return;
  if (self->call_backs)
    g_signal_handlers_disconnect_by_data (self->call_backs, self);
  g_set_object (&self->call_backs, call_backs);
  if (call_backs)
    g_signal_connect_swapped (call_backs, "items-changed", G_CALLBACK (on_call_backs_changed),
                              self);
  on_call_backs_changed (self);
}

static void
pause_state_changed (GActionGroup *actions,
                     const char   *action_name,
                     GVariant     *state,
                     gpointer      user_data)
{
  KcTrayMenu *self = user_data;
  GVariantBuilder updated;

  g_variant_builder_init (&updated, G_VARIANT_TYPE ("a(ia{sv})"));
  g_variant_builder_add (&updated, "(i@a{sv})", ITEM_PAUSE_POPUPS,
                         menu_item_properties (self, ITEM_PAUSE_POPUPS,
                                               (const char *[]) { "toggle-state", NULL }));
  g_dbus_connection_emit_signal (self->bus, NULL, KC_TRAY_MENU_PATH, MENU_IFACE,
                                 "ItemsPropertiesUpdated",
                                 g_variant_new ("(a(ia{sv})a(ias))", &updated, NULL), NULL);
}

static void
kc_tray_menu_dispose (GObject *object)
{
  KcTrayMenu *self = KC_TRAY_MENU (object);

  if (self->actions != NULL)
    g_signal_handlers_disconnect_by_data (self->actions, self);
  if (self->call_backs != NULL)
    g_signal_handlers_disconnect_by_data (self->call_backs, self);
  if (self->registration != 0)
    g_dbus_connection_unregister_object (self->bus, self->registration);
  self->registration = 0;
  g_clear_object (&self->call_backs);
  g_clear_object (&self->actions);
  g_clear_object (&self->bus);

  G_OBJECT_CLASS (kc_tray_menu_parent_class)->dispose (object);
}

static void
kc_tray_menu_finalize (GObject *object)
{
  g_array_unref (KC_TRAY_MENU (object)->entries);

  G_OBJECT_CLASS (kc_tray_menu_parent_class)->finalize (object);
}

static void
kc_tray_menu_class_init (KcTrayMenuClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GDBusNodeInfo *node;

  object_class->dispose = kc_tray_menu_dispose;
  object_class->finalize = kc_tray_menu_finalize;

  /* Parsed once and kept for the process's life, like the class */
  node = g_dbus_node_info_new_for_xml (menu_xml, NULL);
  menu_iface_info = g_dbus_interface_info_ref (node->interfaces[0]);
  g_dbus_node_info_unref (node);
}

static void
kc_tray_menu_init (KcTrayMenu *self)
{
  self->entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  g_array_set_clear_func (self->entries, entry_clear);
  self->next_entry_id = ITEM_FIRST_CALL_BACK;
  self->revision = 1;
}

KcTrayMenu *
kc_tray_menu_new (GDBusConnection  *bus,
                  GActionGroup     *actions,
                  GError          **error)
{
  g_autoptr (KcTrayMenu) self = NULL;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (bus), NULL);
  g_return_val_if_fail (G_IS_ACTION_GROUP (actions), NULL);

  self = g_object_new (KC_TYPE_TRAY_MENU, NULL);
  self->bus = g_object_ref (bus);
  self->actions = g_object_ref (actions);
  g_signal_connect (actions, "action-state-changed::pause-popups",
                    G_CALLBACK (pause_state_changed), self);
  self->registration = g_dbus_connection_register_object (bus, KC_TRAY_MENU_PATH, menu_iface_info,
                                                          &menu_vtable, self, NULL, error);
  if (self->registration == 0)
    return NULL;
  return g_steal_pointer (&self);
}

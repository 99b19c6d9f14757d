/* kc-notifier.c
 *
 * The pop-ups go straight to org.freedesktop.Notifications over GDBus with
 * async calls rather than through libnotify, so notify_init() is never
 * needed: notify_notification_show() is a blocking D-Bus call, and a
 * notification server that is slow to start or has hung would freeze the
 * window for up to 25 s while the phone rings. Async calls also let a call
 * that changes state before the server has answered be followed exactly:
 * each pop-up has at most one Notify on the way, and when its answer (the
 * id) arrives the pop-up is brought up to the call's state of that moment,
 * updated, closed or turned into a missed call under that same id.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-notifier"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "kc-notifier.h"

#define NOTIFICATIONS_NAME  "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH  "/org/freedesktop/Notifications"
#define NOTIFICATIONS_IFACE "org.freedesktop.Notifications"
#define APP_NAME            "Kerio CTI"

/* The specification's "urgency" hint and expire_timeout values */
#define URGENCY_NORMAL   1
#define URGENCY_CRITICAL 2
#define EXPIRES_DEFAULT  (-1)
#define EXPIRES_NEVER    0

#define SENT_NOTHING (-1)

/* One pop-up, following one incoming call. Reference-counted: the table
 * holds one reference and a Notify on the way another, so the server's
 * answer still lands on it after the call has ended or the notifier has
 * gone. */
typedef struct
{
  KcNotifier *notifier;   /* NULL once the notifier is gone */
  KcCall     *call;
  guint32     id;         /* the server's id, 0 while none is up */
  int         sent_state; /* the KcCallState last sent, or SENT_NOTHING */
  gboolean    in_flight;  /* a Notify awaits its answer */
  gboolean    dismissed;  /* closed by the user while the call went on */
  /* Shown without what arrived since (the CRM's name): to be sent again */
  gboolean    stale;
  /* What the pop-up on screen says, so the same is not sent twice */
  char       *sent_body;
  gboolean    sent_crm;
} Popup;

struct _KcNotifier
{
  GObject          parent_instance;

  KcCallTracker   *tracker;
  KcCallerContext *context;
  GDBusConnection *bus;
  GCancellable    *cancellable;
  gboolean         getting_bus;
  guint            watch_id;
  guint            action_subscription;
  guint            closed_subscription;
  gboolean         body_markup;

  GHashTable      *popups; /* call id (owned by the popup's call) -> Popup */
  gboolean         paused;
  gboolean         available;
};

G_DEFINE_FINAL_TYPE (KcNotifier, kc_notifier, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PAUSED,
  PROP_AVAILABLE,
  N_PROPS
};

enum {
  SHOW_CALL,
  COPY_NUMBER,
  OPEN_URL,
  MISSED_CALL,
  MISSED_CALL_WITHDRAWN,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

static void popup_sync (KcNotifier *self,
                        Popup      *popup);

static Popup *
popup_new (KcNotifier *self,
           KcCall     *call)
{
  Popup *popup = g_rc_box_new0 (Popup);

  popup->notifier = self;
  popup->call = g_object_ref (call);
  popup->sent_state = SENT_NOTHING;
  return popup;
}

static void
popup_clear (Popup *popup)
{
  g_object_unref (popup->call);
  g_free (popup->sent_body);
}

static Popup *
popup_ref (Popup *popup)
{
  return g_rc_box_acquire (popup);
}

static void
popup_unref (Popup *popup)
{
  g_rc_box_release_full (popup, (GDestroyNotify) popup_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Popup, popup_unref)

static void
set_available (KcNotifier *self,
               gboolean    available,
               GError     *error)
{
  if (self->available == available)
    return;

  /* One line per change, however many calls come and go meanwhile. */
  if (available)
    {
      g_message ("Pop-up notifications are available again");
    }
  else
    {
      g_dbus_error_strip_remote_error (error);
      g_message ("Pop-up notifications are unavailable, calls will not pop up: %s",
                 error->message);
    }
  self->available = available;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_AVAILABLE]);
}

static void
close_notification (GDBusConnection *bus,
                    guint32          id)
{
  /* No reply wanted: there is nothing to do if it fails, the server being
   * gone with its notifications. */
  g_dbus_connection_call (bus, NOTIFICATIONS_NAME, NOTIFICATIONS_PATH, NOTIFICATIONS_IFACE,
                          "CloseNotification", g_variant_new ("(u)", id), NULL,
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, NULL, NULL);
}

static Popup *
find_popup (KcNotifier *self,
            guint32     id)
{
  GHashTableIter iter;
  Popup *popup;

  if (id == 0)
    return NULL;
  g_hash_table_iter_init (&iter, self->popups);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &popup))
    if (popup->id == id)
      return popup;
  return NULL;
}

static void
remove_popup (KcNotifier *self,
              Popup      *popup)
{
  const char *call_id = kc_call_get_call_id (popup->call);

  /* A newer call with the same id may have taken the key over
   * (on_incoming_call). */
  if (g_hash_table_lookup (self->popups, call_id) == popup)
    g_hash_table_remove (self->popups, call_id);
}

/* The caller's name: the PBX's directory's, the CRM's, the call's own */
static char *
caller_name (KcNotifier *self,
             KcCall     *call)
{
  const char *number = kc_call_get_from_number (call);
  const char *name = kc_call_get_from_name (call);

  if (self->context != NULL)
    return kc_caller_context_get_name (self->context, number, name);
  if (name == NULL || *name == '\0' || g_strcmp0 (name, number) == 0)
    return NULL;
  return g_strdup (name);
}

static char *
make_body (KcNotifier *self,
           KcCall     *call)
{
  const char *number = kc_call_get_from_number (call);
  g_autofree char *name = caller_name (self, call);
  const char *extension = kc_call_get_extension (call);
  const char *history = NULL;
  const char *state_text;
  g_autoptr (GString) body = g_string_new (NULL);

  if (self->context != NULL)
    history = kc_caller_context_describe_call (self->context, call);

  switch (kc_call_get_state (call))
    {
    case KC_CALL_STATE_RINGING:
      state_text = _("Ringing");
      break;
    case KC_CALL_STATE_TALKING:
      state_text = _("Talking");
      break;
    case KC_CALL_STATE_MISSED:
    case KC_CALL_STATE_FINISHED:
    default:
      state_text = _("Missed");
      break;
    }

  if (name != NULL)
    g_string_append_printf (body, "%s\n", name);
  g_string_append_printf (body, "%s\n", number && *number ? number : _("Unknown number"));
  if (history != NULL)
    g_string_append_printf (body, "%s\n", history);
  if (extension && *extension)
    /* Translators: the operator's extension the call is for, then the
     * call's state, e.g. "Extension 1001 · Ringing" */
    g_string_append_printf (body, _("Extension %s · %s"), extension, state_text);
  else
    g_string_append (body, state_text);

  /* The PBX's caller names are free text ("Aziz & Sons"); a server that reads
   * markup must get them escaped, one that does not must get them plain. */
  if (self->body_markup)
    return g_markup_escape_text (body->str, -1);
  return g_string_free (g_steal_pointer (&body), FALSE);
}

static void
notify_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (Popup) popup = user_data;
  KcNotifier *self = popup->notifier;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  popup->in_flight = FALSE;
  popup->id = 0;
  if (reply)
    g_variant_get (reply, "(u)", &popup->id);

  if (self == NULL)
    {
      /* The notifier went while the server was thinking; what it raised
       * meanwhile goes the way the disposal took the others. */
      if (popup->id != 0 && popup->sent_state != KC_CALL_STATE_MISSED)
        close_notification (G_DBUS_CONNECTION (source), popup->id);
      return;
    }

  set_available (self, reply != NULL, error);

  /* A missed call that could not be shown is not tried again: only a change
   * of state sends again, and this call has none left. */
  if (reply == NULL && kc_call_get_state (popup->call) == KC_CALL_STATE_MISSED &&
      popup->sent_state == KC_CALL_STATE_MISSED)
    {
      remove_popup (self, popup);
      return;
    }
  popup_sync (self, popup);
}

static void
send_notify (KcNotifier *self,
             Popup      *popup)
{
  KcCall *call = popup->call;
  KcCallState state = kc_call_get_state (call);
  const char *number = kc_call_get_from_number (call);
  g_autofree char *body = make_body (self, call);
  g_autofree char *crm_url = NULL;
  gboolean same_state = (int) state == popup->sent_state;
  GVariantBuilder actions;
  GVariantBuilder hints;
  const char *summary;
  const char *category;
  guchar urgency;
  int expires;

  switch (state)
    {
    case KC_CALL_STATE_RINGING:
      summary = _("Incoming call");
      category = "call.incoming";
      urgency = URGENCY_CRITICAL;
      /* Up exactly as long as it rings: it is closed or updated then. */
      expires = EXPIRES_NEVER;
      break;
    case KC_CALL_STATE_TALKING:
      summary = _("Incoming call");
      category = "call";
      urgency = URGENCY_NORMAL;
      expires = EXPIRES_DEFAULT;
      break;
    case KC_CALL_STATE_MISSED:
    case KC_CALL_STATE_FINISHED:
    default:
      summary = _("Missed call");
      category = "call.unanswered";
      urgency = URGENCY_NORMAL;
      /* It stays until the operator has seen it. */
      expires = EXPIRES_NEVER;
      break;
    }

  g_variant_builder_init (&actions, G_VARIANT_TYPE_STRING_ARRAY);
  g_variant_builder_add (&actions, "s", "default");
  g_variant_builder_add (&actions, "s", _("Show"));
  g_variant_builder_add (&actions, "s", "show");
  g_variant_builder_add (&actions, "s", _("Show"));
  if (number && *number)
    {
      g_variant_builder_add (&actions, "s", "copy");
      g_variant_builder_add (&actions, "s", _("Copy number"));
    }
  if (self->context != NULL)
    crm_url = kc_caller_context_get_crm_url (self->context, number);
  /* Names read again (the directory) that changed nothing for this one */
  popup->stale = FALSE;
  if (same_state && g_strcmp0 (body, popup->sent_body) == 0 &&
      popup->sent_crm == (crm_url != NULL))
    {
      g_variant_builder_clear (&actions);
      return;
    }
  if (crm_url != NULL)
    {
      g_variant_builder_add (&actions, "s", "crm");
      g_variant_builder_add (&actions, "s", _("Open in CRM"));
    }

  g_variant_builder_init (&hints, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&hints, "{sv}", "urgency", g_variant_new_byte (urgency));
  g_variant_builder_add (&hints, "{sv}", "category", g_variant_new_string (category));
  g_variant_builder_add (&hints, "{sv}", "desktop-entry", g_variant_new_string (APP_ID));
  /* Copying the number must not take the caller's details off the screen;
   * the pop-up goes when its call does. */
  g_variant_builder_add (&hints, "{sv}", "resident", g_variant_new_boolean (TRUE));
  if (state == KC_CALL_STATE_MISSED)
    g_variant_builder_add (&hints, "{sv}", "transient", g_variant_new_boolean (FALSE));

  popup->in_flight = TRUE;
  popup->sent_state = state;
  g_free (popup->sent_body);
  popup->sent_body = g_strdup (body);
  popup->sent_crm = crm_url != NULL;
  g_dbus_connection_call (self->bus, NOTIFICATIONS_NAME, NOTIFICATIONS_PATH,
                          NOTIFICATIONS_IFACE, "Notify",
                          g_variant_new ("(susssasa{sv}i)", APP_NAME, popup->id, APP_ID, summary,
                                         body, &actions, &hints, expires),
                          G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, notify_done,
                          popup_ref (popup));
}

/* Brings what the server shows in line with the call's state, unless a
 * Notify is already on the way: its answer calls this again. */
static void
popup_sync (KcNotifier *self,
            Popup      *popup)
{
  KcCallState state = kc_call_get_state (popup->call);

  if (popup->in_flight)
    return;

  if (state == KC_CALL_STATE_FINISHED)
    {
      if (popup->id != 0)
        close_notification (self->bus, popup->id);
      remove_popup (self, popup);
      return;
    }

  if (self->bus == NULL || ((int) state == popup->sent_state && !popup->stale) ||
      (state == KC_CALL_STATE_TALKING && popup->dismissed))
    return;
  /* What arrived since goes to a pop-up on screen, not to one the operator
   * closed */
  if ((int) state == popup->sent_state && popup->id == 0)
    return;
  send_notify (self, popup);
}

static void
sync_all (KcNotifier *self)
{
  g_autoptr (GPtrArray) popups = g_ptr_array_new_with_free_func ((GDestroyNotify) popup_unref);
  GHashTableIter iter;
  Popup *popup;

  /* Syncing may remove pop-ups from the table. */
  g_hash_table_iter_init (&iter, self->popups);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &popup))
    g_ptr_array_add (popups, popup_ref (popup));
  for (guint i = 0; i < popups->len; i++)
    popup_sync (self, g_ptr_array_index (popups, i));
}

static void
on_action_invoked (GDBusConnection *bus,
                   const char      *sender,
                   const char      *path,
                   const char      *iface,
                   const char      *signal_name,
                   GVariant        *parameters,
                   gpointer         user_data)
{
  KcNotifier *self = user_data;
  g_autoptr (KcCall) call = NULL;
  const char *action;
  guint32 id;
  Popup *popup;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(us)")))
    return;
  g_variant_get (parameters, "(u&s)", &id, &action);
  /* The server tells every client of every notification's actions. */
  popup = find_popup (self, id);
  if (popup == NULL)
    return;

  /* A handler may do anything, including closing the pop-up. */
  call = g_object_ref (popup->call);
  if (g_str_equal (action, "default") || g_str_equal (action, "show"))
    g_signal_emit (self, signals[SHOW_CALL], 0, kc_call_get_call_id (call));
  else if (g_str_equal (action, "copy"))
    g_signal_emit (self, signals[COPY_NUMBER], 0, kc_call_get_from_number (call));
  else if (g_str_equal (action, "crm") && self->context != NULL)
    {
      g_autofree char *url = kc_caller_context_get_crm_url (self->context,
                                                            kc_call_get_from_number (call));

      if (url != NULL)
        g_signal_emit (self, signals[OPEN_URL], 0, url);
    }
}

static void
on_notification_closed (GDBusConnection *bus,
                        const char      *sender,
                        const char      *path,
                        const char      *iface,
                        const char      *signal_name,
                        GVariant        *parameters,
                        gpointer         user_data)
{
  KcNotifier *self = user_data;
  guint32 id;
  guint32 reason;
  Popup *popup;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(uu)")))
    return;
  g_variant_get (parameters, "(uu)", &id, &reason);
  popup = find_popup (self, id);
  /* With a Notify on the way the id is about to be replaced anyway. */
  if (popup == NULL || popup->in_flight)
    return;

  if (kc_call_state_is_final (kc_call_get_state (popup->call)))
    {
      remove_popup (self, popup);
      return;
    }
  /* Closed by the operator (or expired) while the call goes on: the answer
   * raises nothing again, a missed call still does. */
  popup->id = 0;
  popup->dismissed = TRUE;
}

static void
capabilities_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autofree const char **capabilities = NULL;
  KcNotifier *self;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = user_data;
  /* Without an answer the guess stands: nearly every server reads markup. */
  if (reply == NULL)
    return;
  g_variant_get (reply, "(^a&s)", &capabilities);
  self->body_markup = g_strv_contains (capabilities, "body-markup");
}

static void
on_server_appeared (GDBusConnection *bus,
                    const char      *name,
                    const char      *owner,
                    gpointer         user_data)
{
  KcNotifier *self = user_data;

  /* Asked of each server as it comes, since another may replace the one
   * that went. */
  g_dbus_connection_call (bus, owner, NOTIFICATIONS_PATH, NOTIFICATIONS_IFACE, "GetCapabilities",
                          NULL, G_VARIANT_TYPE ("(as)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
                          self->cancellable, capabilities_done, self);
}

static void
bus_ready (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  GDBusConnection *bus = g_bus_get_finish (result, &error);
  KcNotifier *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = user_data;
  self->getting_bus = FALSE;

  if (bus == NULL)
    {
      GHashTableIter iter;
      Popup *popup;

      set_available (self, FALSE, error);
      /* Calls that are over cannot wait for the next call to bring a bus. */
      g_hash_table_iter_init (&iter, self->popups);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &popup))
        if (kc_call_state_is_final (kc_call_get_state (popup->call)))
          g_hash_table_iter_remove (&iter);
      return;
    }

  self->bus = bus;
  self->action_subscription =
    g_dbus_connection_signal_subscribe (bus, NOTIFICATIONS_NAME, NOTIFICATIONS_IFACE,
                                        "ActionInvoked", NOTIFICATIONS_PATH, NULL,
                                        G_DBUS_SIGNAL_FLAGS_NONE, on_action_invoked, self, NULL);
  self->closed_subscription =
    g_dbus_connection_signal_subscribe (bus, NOTIFICATIONS_NAME, NOTIFICATIONS_IFACE,
                                        "NotificationClosed", NOTIFICATIONS_PATH, NULL,
                                        G_DBUS_SIGNAL_FLAGS_NONE, on_notification_closed, self,
                                        NULL);
  self->watch_id = g_bus_watch_name_on_connection (bus, NOTIFICATIONS_NAME,
                                                   G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                   on_server_appeared, NULL, self, NULL);
  sync_all (self);
}

static void
ensure_bus (KcNotifier *self)
{
  if (self->bus || self->getting_bus)
    return;
  self->getting_bus = TRUE;
  g_bus_get (G_BUS_TYPE_SESSION, self->cancellable, bus_ready, self);
}

static void
on_incoming_call (KcNotifier *self,
                  KcCall     *call)
{
  Popup *popup;

  if (self->paused)
    return;

  popup = popup_new (self, call);
  /* _replace, not _insert: the key belongs to the call now in the table. */
  g_hash_table_replace (self->popups, (gpointer) kc_call_get_call_id (call), popup);
  if (self->bus)
    popup_sync (self, popup);
  else
    ensure_bus (self);
}

static void
on_call_state_changed (KcNotifier *self,
                       KcCall     *call,
                       int         old_state)
{
  Popup *popup = g_hash_table_lookup (self->popups, kc_call_get_call_id (call));

  if (popup && popup->call == call)
    popup_sync (self, popup);

  if (kc_call_get_direction (call) != KC_DIRECTION_INCOMING)
    return;
  if (kc_call_get_state (call) == KC_CALL_STATE_MISSED)
    g_signal_emit (self, signals[MISSED_CALL], 0, call);
  else if (old_state == KC_CALL_STATE_MISSED)
    g_signal_emit (self, signals[MISSED_CALL_WITHDRAWN], 0, call);
}

/* The CRM's answer came (NUMBER NULL: names of any number may have
 * changed): the caller's pop-ups on screen show it */
static void
on_name_changed (KcNotifier *self,
                 const char *number)
{
  g_autoptr (GPtrArray) popups = g_ptr_array_new_with_free_func ((GDestroyNotify) popup_unref);
  GHashTableIter iter;
  Popup *popup;

  g_hash_table_iter_init (&iter, self->popups);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &popup))
    if ((number == NULL || g_strcmp0 (kc_call_get_from_number (popup->call), number) == 0) &&
        popup->sent_state != SENT_NOTHING)
      {
        popup->stale = TRUE;
        g_ptr_array_add (popups, popup_ref (popup));
      }
  for (guint i = 0; i < popups->len; i++)
    popup_sync (self, g_ptr_array_index (popups, i));
}

static void
kc_notifier_dispose (GObject *object)
{
  KcNotifier *self = KC_NOTIFIER (object);

  if (self->tracker)
    g_signal_handlers_disconnect_by_data (self->tracker, self);
  g_clear_object (&self->tracker);
  if (self->context)
    g_signal_handlers_disconnect_by_data (self->context, self);
  g_clear_object (&self->context);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->watch_id, g_bus_unwatch_name);

  if (self->bus)
    {
      g_dbus_connection_signal_unsubscribe (self->bus, self->action_subscription);
      g_dbus_connection_signal_unsubscribe (self->bus, self->closed_subscription);
      self->action_subscription = self->closed_subscription = 0;
    }

  if (self->popups)
    {
      GHashTableIter iter;
      Popup *popup;

      /* A "Ringing" or "Talking" pop-up left behind would tell of a call
       * nobody follows any more; a missed call stays, it is still missed. */
      g_hash_table_iter_init (&iter, self->popups);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &popup))
        {
          popup->notifier = NULL;
          if (!popup->in_flight && popup->id != 0 && popup->sent_state != KC_CALL_STATE_MISSED)
            close_notification (self->bus, popup->id);
        }
      g_clear_pointer (&self->popups, g_hash_table_unref);
    }
  g_clear_object (&self->bus);

  G_OBJECT_CLASS (kc_notifier_parent_class)->dispose (object);
}

static void
kc_notifier_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  KcNotifier *self = KC_NOTIFIER (object);

  switch (prop_id)
    {
    case PROP_PAUSED:
      g_value_set_boolean (value, self->paused);
      break;
    case PROP_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kc_notifier_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  KcNotifier *self = KC_NOTIFIER (object);

  switch (prop_id)
    {
    case PROP_PAUSED:
      kc_notifier_set_paused (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kc_notifier_class_init (KcNotifierClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kc_notifier_dispose;
  object_class->get_property = kc_notifier_get_property;
  object_class->set_property = kc_notifier_set_property;

  props[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_AVAILABLE] =
    g_param_spec_boolean ("available", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SHOW_CALL] = g_signal_new ("show-call", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                     0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[COPY_NUMBER] = g_signal_new ("copy-number", G_TYPE_FROM_CLASS (klass),
                                       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                       G_TYPE_STRING);
  signals[OPEN_URL] = g_signal_new ("open-url", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[MISSED_CALL] = g_signal_new ("missed-call", G_TYPE_FROM_CLASS (klass),
                                       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                       KC_TYPE_CALL);
  signals[MISSED_CALL_WITHDRAWN] = g_signal_new ("missed-call-withdrawn",
                                                 G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                                 NULL, NULL, NULL, G_TYPE_NONE, 1, KC_TYPE_CALL);
}

static void
kc_notifier_init (KcNotifier *self)
{
  self->popups = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                        (GDestroyNotify) popup_unref);
  self->cancellable = g_cancellable_new ();
  self->available = TRUE;
  self->body_markup = TRUE;
}

KcNotifier *
kc_notifier_new (KcCallTracker *tracker)
{
  KcNotifier *self;

  g_return_val_if_fail (KC_IS_CALL_TRACKER (tracker), NULL);

  self = g_object_new (KC_TYPE_NOTIFIER, NULL);
  self->tracker = g_object_ref (tracker);
  g_signal_connect_swapped (tracker, "incoming-call", G_CALLBACK (on_incoming_call), self);
  g_signal_connect_swapped (tracker, "call-state-changed", G_CALLBACK (on_call_state_changed),
                            self);
  /* Connected before the first call rings, so it pops up at once. */
  ensure_bus (self);
  return self;
}

void
kc_notifier_set_caller_context (KcNotifier      *self,
                                KcCallerContext *context)
{
  g_return_if_fail (KC_IS_NOTIFIER (self));
  g_return_if_fail (context == NULL || KC_IS_CALLER_CONTEXT (context));

  if (self->context)
    g_signal_handlers_disconnect_by_data (self->context, self);
  g_set_object (&self->context, context);
  if (context)
    g_signal_connect_object (context, "name-changed", G_CALLBACK (on_name_changed), self,
                             G_CONNECT_SWAPPED);
}

void
kc_notifier_set_paused (KcNotifier *self,
                        gboolean    paused)
{
  g_return_if_fail (KC_IS_NOTIFIER (self));

  paused = !!paused;
  if (self->paused == paused)
    return;
  self->paused = paused;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_PAUSED]);
}

gboolean
kc_notifier_get_paused (KcNotifier *self)
{
  g_return_val_if_fail (KC_IS_NOTIFIER (self), FALSE);
  return self->paused;
}

gboolean
kc_notifier_get_available (KcNotifier *self)
{
  g_return_val_if_fail (KC_IS_NOTIFIER (self), FALSE);
  return self->available;
}

/* test-notifier.c: the screen-pop as a notification server sees it
 *
 * A fake org.freedesktop.Notifications on its own connection records every
 * call it gets and plays the user by emitting ActionInvoked and
 * NotificationClosed. A real KcCallTracker, whose client is never started, is
 * driven snapshot by snapshot. The test runs on a bus of its own
 * (kc-test-bus.h), not the session bus it was started under: that one may
 * offer an installed notification server for activation, and "no server"
 * must mean no server.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "core/kc-caller-context.h"
#include "kc-test-bus.h"
#include "kc-test-util.h"
#include "sim/kc-sim-server.h"
#include "ui/kc-notifier.h"

#define NOTIFICATIONS_NAME  "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH  "/org/freedesktop/Notifications"
#define NOTIFICATIONS_IFACE "org.freedesktop.Notifications"
#define WAIT                5
#define NOW                 1735732800 /* 2025-01-01T12:00:00Z */
#define EXTENSION           "1001"
#define CALLER              "+998901234567"
#define CALLER_NAME         "Aziz Karimov"
#define CALLER2             "+998935554433"

/* The fake notification server */

typedef struct
{
  char     *method;
  char     *app_name;
  guint32   replaces_id;
  char     *app_icon;
  char     *summary;
  char     *body;
  char    **actions;
  GVariant *hints;
  gint32    expire_timeout;
  guint32   id; /* Notify: the id given; CloseNotification: the id closed */
} Record;

typedef struct
{
  GDBusConnection *bus;
  guint            registration;
  gboolean         body_markup;
  gboolean         hold;    /* keep Notify answers back until released */
  GPtrArray       *held;    /* GDBusMethodInvocation */
  GPtrArray       *records; /* Record, every call in order */
  char            *client;  /* who called Notify last */
} FakeServer;

/* Ids never repeat from one server to the next, so a stale one shows. */
static guint32 next_id = 40;

static const char server_xml[] =
  "<node>"
  "  <interface name='" NOTIFICATIONS_IFACE "'>"
  "    <method name='Notify'>"
  "      <arg name='app_name' type='s' direction='in'/>"
  "      <arg name='replaces_id' type='u' direction='in'/>"
  "      <arg name='app_icon' type='s' direction='in'/>"
  "      <arg name='summary' type='s' direction='in'/>"
  "      <arg name='body' type='s' direction='in'/>"
  "      <arg name='actions' type='as' direction='in'/>"
  "      <arg name='hints' type='a{sv}' direction='in'/>"
  "      <arg name='expire_timeout' type='i' direction='in'/>"
  "      <arg name='id' type='u' direction='out'/>"
  "    </method>"
  "    <method name='CloseNotification'>"
  "      <arg name='id' type='u' direction='in'/>"
  "    </method>"
  "    <method name='GetCapabilities'>"
  "      <arg name='capabilities' type='as' direction='out'/>"
  "    </method>"
  "    <method name='GetServerInformation'>"
  "      <arg name='name' type='s' direction='out'/>"
  "      <arg name='vendor' type='s' direction='out'/>"
  "      <arg name='version' type='s' direction='out'/>"
  "      <arg name='spec_version' type='s' direction='out'/>"
  "    </method>"
  "    <signal name='NotificationClosed'>"
  "      <arg name='id' type='u'/><arg name='reason' type='u'/>"
  "    </signal>"
  "    <signal name='ActionInvoked'>"
  "      <arg name='id' type='u'/><arg name='action_key' type='s'/>"
  "    </signal>"
  "  </interface>"
  "</node>";

static void
record_free (Record *r)
{
  g_free (r->method);
  g_free (r->app_name);
  g_free (r->app_icon);
  g_free (r->summary);
  g_free (r->body);
  g_strfreev (r->actions);
  g_clear_pointer (&r->hints, g_variant_unref);
  g_free (r);
}

static void
server_method_call (GDBusConnection       *connection,
                    const char            *sender,
                    const char            *object_path,
                    const char            *interface_name,
                    const char            *method_name,
                    GVariant              *parameters,
                    GDBusMethodInvocation *invocation,
                    gpointer               user_data)
{
  FakeServer *s = user_data;
  Record *r = g_new0 (Record, 1);

  r->method = g_strdup (method_name);
  g_ptr_array_add (s->records, r);

  if (g_str_equal (method_name, "Notify"))
    {
      g_variant_get (parameters, "(susss^as@a{sv}i)", &r->app_name, &r->replaces_id,
                     &r->app_icon, &r->summary, &r->body, &r->actions, &r->hints,
                     &r->expire_timeout);
      r->id = r->replaces_id ? r->replaces_id : next_id++;
      g_free (s->client);
      s->client = g_strdup (sender);
      if (s->hold)
        {
          g_object_set_data (G_OBJECT (invocation), "id", GUINT_TO_POINTER (r->id));
          /* Owned by `held` until released */
          g_ptr_array_add (s->held, invocation);
          return;
        }
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", r->id));
    }
  else if (g_str_equal (method_name, "CloseNotification"))
    {
      g_variant_get (parameters, "(u)", &r->id);
      g_dbus_method_invocation_return_value (invocation, NULL);
      /* As the specification says: reason 3, closed by CloseNotification */
      g_dbus_connection_emit_signal (connection, sender, NOTIFICATIONS_PATH, NOTIFICATIONS_IFACE,
                                     "NotificationClosed", g_variant_new ("(uu)", r->id, 3), NULL);
    }
  else if (g_str_equal (method_name, "GetCapabilities"))
    {
      const char *with_markup[] = { "actions", "body", "body-markup", "persistence", NULL };
      const char *plain[] = { "actions", "body", "persistence", NULL };

      g_dbus_method_invocation_return_value (
        invocation, g_variant_new ("(^as)", s->body_markup ? with_markup : plain));
    }
  else
    {
      g_dbus_method_invocation_return_value (
        invocation, g_variant_new ("(ssss)", "fake", "Kerio CTI tests", "1", "1.2"));
    }
}

static const GDBusInterfaceVTable server_vtable = {
  .method_call = server_method_call,
};

static FakeServer *
fake_server_start (gboolean body_markup)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusNodeInfo) node = g_dbus_node_info_new_for_xml (server_xml, &error);
  g_autofree char *address = NULL;
  FakeServer *s = g_new0 (FakeServer, 1);

  g_assert_no_error (error);
  s->body_markup = body_markup;
  s->held = g_ptr_array_new_with_free_func (g_object_unref);
  s->records = g_ptr_array_new_with_free_func ((GDestroyNotify) record_free);

  /* A connection of its own, as a real server in another process has. */
  address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  s->bus = g_dbus_connection_new_for_address_sync (address,
                                                   G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
                                                   | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                   NULL, NULL, &error);
  g_assert_no_error (error);
  s->registration = g_dbus_connection_register_object (s->bus, NOTIFICATIONS_PATH,
                                                       node->interfaces[0], &server_vtable, s,
                                                       NULL, &error);
  g_assert_no_error (error);
  kc_test_bus_own_name (s->bus, NOTIFICATIONS_NAME);
  return s;
}

static void
fake_server_release (FakeServer *s)
{
  for (guint i = 0; i < s->held->len; i++)
    {
      GDBusMethodInvocation *invocation = g_ptr_array_index (s->held, i);
      guint32 id = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (invocation), "id"));

      g_dbus_method_invocation_return_value (g_object_ref (invocation),
                                             g_variant_new ("(u)", id));
    }
  g_ptr_array_set_size (s->held, 0);
  s->hold = FALSE;
}

static void
fake_server_stop (FakeServer *s)
{
  g_autoptr (GError) error = NULL;

  fake_server_release (s);
  g_dbus_connection_unregister_object (s->bus, s->registration);
  g_dbus_connection_close_sync (s->bus, NULL, &error);
  g_assert_no_error (error);
  g_object_unref (s->bus);
  g_ptr_array_unref (s->held);
  g_ptr_array_unref (s->records);
  g_free (s->client);
  g_free (s);
}

static guint
server_count (FakeServer *s,
              const char *method)
{
  guint n = 0;

  for (guint i = 0; i < s->records->len; i++)
    if (g_str_equal (((Record *) g_ptr_array_index (s->records, i))->method, method))
      n++;
  return n;
}

static Record *
server_nth (FakeServer *s,
            const char *method,
            guint       n)
{
  guint seen = 0;

  for (guint i = 0; i < s->records->len; i++)
    {
      Record *r = g_ptr_array_index (s->records, i);

      if (g_str_equal (r->method, method) && seen++ == n)
        return r;
    }
  g_error ("the server got %u %s, not %u", seen, method, n + 1);
}

/* The user at the server: a click on an action, or closing a pop-up */
static void
server_emit (FakeServer *s,
             const char *signal_name,
             GVariant   *parameters)
{
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (s->client);
  g_dbus_connection_emit_signal (s->bus, s->client, NOTIFICATIONS_PATH, NOTIFICATIONS_IFACE,
                                 signal_name, parameters, &error);
  g_assert_no_error (error);
}

/* Returns once everything sent on the notifier's connection (the process's
 * shared one, which g_bus_get() gives every user) before it has been
 * answered by `dest` and handled, by the fake server (which handles its
 * calls in order on this main loop) or by the notifier (whose answers and
 * signals come back in order too). */
static void
round_trip (const char *dest)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  gboolean to_bus = g_str_equal (dest, "org.freedesktop.DBus");

  g_dbus_connection_call (kc_test_bus_session, dest,
                          to_bus ? "/org/freedesktop/DBus" : NOTIFICATIONS_PATH,
                          to_bus ? "org.freedesktop.DBus" : NOTIFICATIONS_IFACE,
                          to_bus ? "GetId" : "GetServerInformation", NULL, NULL,
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, kc_test_store_result,
                          &result);
  KC_TEST_WAIT_UNTIL (result != NULL, WAIT);
  reply = g_dbus_connection_call_finish (kc_test_bus_session, result, &error);
  g_assert_no_error (error);
}

/* What a Notify carried */

static guchar
hint_byte (Record     *r,
           const char *key)
{
  guchar value;

  g_assert_true (g_variant_lookup (r->hints, key, "y", &value));
  return value;
}

static const char *
hint_string (Record     *r,
             const char *key)
{
  const char *value;

  g_assert_true (g_variant_lookup (r->hints, key, "&s", &value));
  return value;
}

static gboolean
hint_boolean (Record     *r,
              const char *key)
{
  gboolean value;

  g_assert_true (g_variant_lookup (r->hints, key, "b", &value));
  return value;
}

static const char *
action_label (Record     *r,
              const char *key)
{
  for (guint i = 0; r->actions[i] && r->actions[i + 1]; i += 2)
    if (g_str_equal (r->actions[i], key))
      return r->actions[i + 1];
  return NULL;
}

static void
assert_body_has (Record     *r,
                 const char *text)
{
  if (strstr (r->body, text) == NULL)
    g_error ("the body \"%s\" lacks \"%s\"", r->body, text);
}

/* The tracker's snapshots */

static KcActiveCall *
row (const char *id,
     const char *from,
     const char *from_name,
     const char *to,
     const char *status,
     gint64      answered,
     gint64      duration)
{
  KcActiveCall *call = g_new0 (KcActiveCall, 1);

  call->id = g_strdup (id);
  call->from_number = g_strdup (from);
  call->from_name = g_strdup (from_name);
  call->to_number = g_strdup (to);
  call->status = g_strdup (status);
  call->answered_duration = answered;
  call->call_duration = duration;
  return call;
}

static KcActiveCall *
ringing (const char *id,
         const char *from)
{
  return row (id, from, NULL, EXTENSION, "Ringing", 0, 0);
}

static GPtrArray *
snapshot (KcActiveCall *first,
          ...)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_active_call_free);
  va_list args;

  va_start (args, first);
  for (KcActiveCall *r = first; r; r = va_arg (args, KcActiveCall *))
    g_ptr_array_add (rows, r);
  va_end (args);
  return rows;
}

/* The fixture: a tracker, a notifier on it, what it told the application */

typedef struct
{
  FakeServer    *server;
  KcCallTracker *tracker;
  KcNotifier    *notifier;
  GPtrArray     *shown;    /* call ids from "show-call" */
  GPtrArray     *copied;   /* numbers from "copy-number" */
  GPtrArray     *missed;   /* call ids from "missed-call" */
  GPtrArray     *withdrawn; /* call ids from "missed-call-withdrawn" */
  GPtrArray     *messages; /* what the notifier logged */
  guint          log_handler;
  guint          available_changes;
} Fixture;

static void
apply (Fixture   *f,
       GPtrArray *rows,
       gint64     now)
{
  kc_call_tracker_apply_snapshot (f->tracker, rows, now);
  g_ptr_array_unref (rows);
}

static void
on_show_call (KcNotifier *notifier,
              const char *call_id,
              Fixture    *f)
{
  g_ptr_array_add (f->shown, g_strdup (call_id));
}

static void
on_copy_number (KcNotifier *notifier,
                const char *number,
                Fixture    *f)
{
  g_ptr_array_add (f->copied, g_strdup (number));
}

static void
on_missed_call (KcNotifier *notifier,
                KcCall     *call,
                Fixture    *f)
{
  g_assert_cmpint (kc_call_get_state (call), ==, KC_CALL_STATE_MISSED);
  g_ptr_array_add (f->missed, g_strdup (kc_call_get_call_id (call)));
}

static void
on_missed_call_withdrawn (KcNotifier *notifier,
                          KcCall     *call,
                          Fixture    *f)
{
  g_assert_cmpint (kc_call_get_state (call), ==, KC_CALL_STATE_FINISHED);
  g_assert_true (kc_call_get_corrected (call));
  g_ptr_array_add (f->withdrawn, g_strdup (kc_call_get_call_id (call)));
}

static void
on_available (KcNotifier *notifier,
              GParamSpec *pspec,
              Fixture    *f)
{
  f->available_changes++;
}

static void
record_message (const char     *domain,
                GLogLevelFlags  level,
                const char     *message,
                gpointer        user_data)
{
  Fixture *f = user_data;

  g_test_message ("%s: %s", domain, message);
  g_ptr_array_add (f->messages, g_strdup (message));
}

static void
setup_bare (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr (GUri) uri = g_uri_parse ("http://127.0.0.1:9/admin/api/jsonrpc/", 0, NULL);
  g_autoptr (KcKerioClient) client = kc_kerio_client_new (uri, "u", "p");

  f->shown = g_ptr_array_new_with_free_func (g_free);
  f->copied = g_ptr_array_new_with_free_func (g_free);
  f->missed = g_ptr_array_new_with_free_func (g_free);
  f->withdrawn = g_ptr_array_new_with_free_func (g_free);
  f->messages = g_ptr_array_new_with_free_func (g_free);
  f->log_handler = g_log_set_handler ("kc-notifier", G_LOG_LEVEL_MESSAGE, record_message, f);

  f->tracker = kc_call_tracker_new (client, 1.0, EXTENSION, 4);
  f->notifier = kc_notifier_new (f->tracker);
  g_signal_connect (f->notifier, "missed-call-withdrawn", G_CALLBACK (on_missed_call_withdrawn),
                    f);
  g_signal_connect (f->notifier, "show-call", G_CALLBACK (on_show_call), f);
  g_signal_connect (f->notifier, "copy-number", G_CALLBACK (on_copy_number), f);
  g_signal_connect (f->notifier, "missed-call", G_CALLBACK (on_missed_call), f);
  g_signal_connect (f->notifier, "notify::available", G_CALLBACK (on_available), f);
}

/* data: the server reads markup */
static void
setup (Fixture       *f,
       gconstpointer  data)
{
  f->server = fake_server_start (GPOINTER_TO_INT (data));
  setup_bare (f, data);
  /* The notifier asks a server it sees come what it can do; once it has the
   * answer it is ready for calls. */
  KC_TEST_WAIT_UNTIL (server_count (f->server, "GetCapabilities") == 1, WAIT);
  round_trip (NOTIFICATIONS_NAME);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_clear_object (&f->notifier);
  /* What the notifier sent on going reaches this test's server, not the
   * next one's. */
  round_trip ("org.freedesktop.DBus");
  g_clear_pointer (&f->server, fake_server_stop);
  g_clear_object (&f->tracker);
  g_log_remove_handler ("kc-notifier", f->log_handler);
  /* Nothing to log while a server answers */
  g_assert_cmpuint (f->messages->len, ==, 0);
  g_ptr_array_unref (f->messages);
  g_ptr_array_unref (f->shown);
  g_ptr_array_unref (f->copied);
  g_ptr_array_unref (f->missed);
  g_ptr_array_unref (f->withdrawn);
}

/* The tests */

static void
test_ringing_answered_finished (Fixture       *f,
                                gconstpointer  data)
{
  Record *r;
  guint32 id;

  apply (f, snapshot (row ("c1", CALLER, CALLER_NAME, EXTENSION, "Ringing", 0, 0), NULL), NOW);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "Notify") == 1, WAIT);
  r = server_nth (f->server, "Notify", 0);
  g_assert_cmpstr (r->app_name, ==, "Kerio CTI");
  g_assert_cmpuint (r->replaces_id, ==, 0);
  g_assert_cmpstr (r->app_icon, ==, "uz.kerio.Cti");
  g_assert_cmpstr (r->summary, ==, "Incoming call");
  assert_body_has (r, CALLER);
  assert_body_has (r, CALLER_NAME);
  assert_body_has (r, EXTENSION);
  assert_body_has (r, "Ringing");
  g_assert_cmpuint (hint_byte (r, "urgency"), ==, 2);
  g_assert_cmpstr (hint_string (r, "category"), ==, "call.incoming");
  g_assert_cmpstr (hint_string (r, "desktop-entry"), ==, "uz.kerio.Cti");
  g_assert_cmpstr (action_label (r, "show"), ==, "Show");
  g_assert_cmpstr (action_label (r, "copy"), ==, "Copy number");
  g_assert_nonnull (action_label (r, "default"));
  /* Up for as long as it rings */
  g_assert_cmpint (r->expire_timeout, ==, 0);
  id = r->id;

  /* Still ringing: the pop-up stays as it is. */
  apply (f, snapshot (row ("c1", CALLER, CALLER_NAME, EXTENSION, "Ringing", 0, 3), NULL),
         NOW + 3);
  apply (f, snapshot (row ("c1", CALLER, CALLER_NAME, EXTENSION, "Answered", 1, 5), NULL),
         NOW + 5);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "Notify") == 2, WAIT);
  r = server_nth (f->server, "Notify", 1);
  g_assert_cmpuint (r->replaces_id, ==, id);
  g_assert_cmpstr (r->summary, ==, "Incoming call");
  assert_body_has (r, CALLER);
  assert_body_has (r, "Talking");
  g_assert_cmpuint (hint_byte (r, "urgency"), ==, 1);

  apply (f, snapshot (NULL), NOW + 20);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "CloseNotification") == 1, WAIT);
  g_assert_cmpuint (server_nth (f->server, "CloseNotification", 0)->id, ==, id);
  round_trip (NOTIFICATIONS_NAME);
  g_assert_cmpuint (server_count (f->server, "Notify"), ==, 2);
  g_assert_cmpuint (f->missed->len, ==, 0);
}

static void
test_missed (Fixture       *f,
             gconstpointer  data)
{
  Record *r;
  guint32 id;

  apply (f, snapshot (row ("c2", CALLER, CALLER_NAME, EXTENSION, "Ringing", 0, 0), NULL), NOW);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "Notify") == 1, WAIT);
  id = server_nth (f->server, "Notify", 0)->id;

  apply (f, snapshot (NULL), NOW + 30);
  g_assert_cmpuint (f->missed->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->missed, 0), ==, "c2");
  KC_TEST_WAIT_UNTIL (server_count (f->server, "Notify") == 2, WAIT);
  r = server_nth (f->server, "Notify", 1);
  g_assert_cmpuint (r->replaces_id, ==, id);
  g_assert_cmpstr (r->summary, ==, "Missed call");
  assert_body_has (r, CALLER);
  assert_body_has (r, CALLER_NAME);
  assert_body_has (r, EXTENSION);
  g_assert_cmpstr (hint_string (r, "category"), ==, "call.unanswered");
  g_assert_cmpuint (hint_byte (r, "urgency"), ==, 1);
  g_assert_true (hint_boolean (r, "resident"));
  g_assert_false (hint_boolean (r, "transient"));
  g_assert_cmpint (r->expire_timeout, ==, 0);

  /* It stays, and still answers its buttons after the call is gone. */
  round_trip (NOTIFICATIONS_NAME);
  g_assert_cmpuint (server_count (f->server, "CloseNotification"), ==, 0);
  server_emit (f->server, "ActionInvoked", g_variant_new ("(us)", id, "show"));
  KC_TEST_WAIT_UNTIL (f->shown->len == 1, WAIT);
  g_assert_cmpstr (g_ptr_array_index (f->shown, 0), ==, "c2");
}

/* Answered and hung up between two polls, a call looked missed; its CDR
 * says it was answered, so the "Missed call" pop-up goes away and the
 * application hears that the missed call is withdrawn. */
static void
test_missed_corrected (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr (KcSimServer) sim = kc_sim_server_new ();
  g_autoptr (KcKerioClient) client = NULL;
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *id = NULL;
  guint32 notification;

  g_assert_true (kc_sim_server_listen (sim, 0, NULL, &error));
  url = kc_sim_server_get_endpoint_url (sim);
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  client = kc_kerio_client_new (uri, KC_SIM_DEFAULT_USERNAME, KC_SIM_DEFAULT_PASSWORD);
  /* The fixture's tracker talks to no PBX; this one polls the simulator */
  g_clear_object (&f->notifier);
  g_clear_object (&f->tracker);
  f->tracker = kc_call_tracker_new (client, 0.2, EXTENSION, 4);
  f->notifier = kc_notifier_new (f->tracker);
  g_signal_connect (f->notifier, "missed-call", G_CALLBACK (on_missed_call), f);
  g_signal_connect (f->notifier, "missed-call-withdrawn", G_CALLBACK (on_missed_call_withdrawn),
                    f);
  kc_call_tracker_start (f->tracker);

  id = g_strdup (kc_sim_server_add_call (sim, CALLER, CALLER_NAME, EXTENSION, NULL));
  KC_TEST_WAIT_UNTIL (server_count (f->server, "Notify") == 1, WAIT);
  notification = server_nth (f->server, "Notify", 0)->id;
  kc_sim_server_answer_call (sim, id);
  kc_sim_server_end_call (sim, id, KC_SIM_CDR_NO_ANSWER);

  KC_TEST_WAIT_UNTIL (f->withdrawn->len == 1, WAIT);
  g_assert_cmpuint (f->missed->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->withdrawn, 0), ==, id);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "CloseNotification") == 1, WAIT);
  g_assert_cmpuint (server_nth (f->server, "CloseNotification", 0)->id, ==, notification);
  g_assert_cmpstr (server_nth (f->server, "Notify", 1)->summary, ==, "Missed call");
  kc_call_tracker_stop (f->tracker);
}

static void
test_actions (Fixture       *f,
              gconstpointer  data)
{
  guint32 id;

  apply (f, snapshot (ringing ("c3", CALLER), NULL), NOW);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "Notify") == 1, WAIT);
  id = server_nth (f->server, "Notify", 0)->id;

  /* Another application's notification */
  server_emit (f->server, "ActionInvoked", g_variant_new ("(us)", id + 1000, "show"));
  server_emit (f->server, "ActionInvoked", g_variant_new ("(us)", id, "show"));
  KC_TEST_WAIT_UNTIL (f->shown->len == 1, WAIT);
  g_assert_cmpstr (g_ptr_array_index (f->shown, 0), ==, "c3");

  server_emit (f->server, "ActionInvoked", g_variant_new ("(us)", id, "default"));
  KC_TEST_WAIT_UNTIL (f->shown->len == 2, WAIT);
  g_assert_cmpstr (g_ptr_array_index (f->shown, 1), ==, "c3");

  server_emit (f->server, "ActionInvoked", g_variant_new ("(us)", id, "copy"));
  KC_TEST_WAIT_UNTIL (f->copied->len == 1, WAIT);
  g_assert_cmpstr (g_ptr_array_index (f->copied, 0), ==, CALLER);
  g_assert_cmpuint (f->shown->len, ==, 2);

  /* The application quits while it rings: no "Ringing" is left behind. */
  g_clear_object (&f->notifier);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "CloseNotification") == 1, WAIT);
  g_assert_cmpuint (server_nth (f->server, "CloseNotification", 0)->id, ==, id);
}

static void
test_outgoing_and_paused (Fixture       *f,
                          gconstpointer  data)
{
  Record *r;

  /* The operator calls out */
  apply (f, snapshot (row ("o1", EXTENSION, NULL, CALLER2, "Ringing", 0, 0), NULL), NOW);
  apply (f, snapshot (row ("o1", EXTENSION, NULL, CALLER2, "Answered", 1, 4), NULL), NOW + 4);
  apply (f, snapshot (NULL), NOW + 10);

  /* Paused: a call comes and goes unanswered, and is still reported. */
  kc_notifier_set_paused (f->notifier, TRUE);
  g_assert_true (kc_notifier_get_paused (f->notifier));
  apply (f, snapshot (ringing ("c4", CALLER), NULL), NOW + 20);
  apply (f, snapshot (NULL), NOW + 40);
  g_assert_cmpuint (f->missed->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->missed, 0), ==, "c4");

  kc_notifier_set_paused (f->notifier, FALSE);
  apply (f, snapshot (ringing ("c5", CALLER2), NULL), NOW + 50);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "Notify") == 1, WAIT);
  round_trip (NOTIFICATIONS_NAME);
  /* The only pop-up is the last call's. */
  g_assert_cmpuint (server_count (f->server, "Notify"), ==, 1);
  g_assert_cmpuint (server_count (f->server, "CloseNotification"), ==, 0);
  r = server_nth (f->server, "Notify", 0);
  assert_body_has (r, CALLER2);
}

static void
test_ends_before_server_answers (Fixture       *f,
                                 gconstpointer  data)
{
  Record *r;
  guint32 id;

  /* Answered and over before the server gives the pop-up its id */
  f->server->hold = TRUE;
  apply (f, snapshot (ringing ("c6", CALLER), NULL), NOW);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "Notify") == 1, WAIT);
  apply (f, snapshot (row ("c6", CALLER, NULL, EXTENSION, "Answered", 1, 3), NULL), NOW + 3);
  apply (f, snapshot (NULL), NOW + 9);
  round_trip (NOTIFICATIONS_NAME);
  g_assert_cmpuint (server_count (f->server, "Notify"), ==, 1);
  g_assert_cmpuint (server_count (f->server, "CloseNotification"), ==, 0);

  id = server_nth (f->server, "Notify", 0)->id;
  fake_server_release (f->server);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "CloseNotification") == 1, WAIT);
  g_assert_cmpuint (server_nth (f->server, "CloseNotification", 0)->id, ==, id);
  round_trip (NOTIFICATIONS_NAME);
  g_assert_cmpuint (server_count (f->server, "Notify"), ==, 1);

  /* Missed before the server answers */
  f->server->hold = TRUE;
  apply (f, snapshot (ringing ("c7", CALLER2), NULL), NOW + 20);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "Notify") == 2, WAIT);
  apply (f, snapshot (NULL), NOW + 40);
  g_assert_cmpuint (f->missed->len, ==, 1);
  round_trip (NOTIFICATIONS_NAME);
  g_assert_cmpuint (server_count (f->server, "Notify"), ==, 2);

  id = server_nth (f->server, "Notify", 1)->id;
  fake_server_release (f->server);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "Notify") == 3, WAIT);
  r = server_nth (f->server, "Notify", 2);
  g_assert_cmpuint (r->replaces_id, ==, id);
  g_assert_cmpstr (r->summary, ==, "Missed call");
  assert_body_has (r, CALLER2);
}

static void
test_dismissed (Fixture       *f,
                gconstpointer  data)
{
  Record *r;
  guint32 id;

  /* Closed by the operator while ringing: the answer brings nothing back. */
  apply (f, snapshot (ringing ("c8", CALLER), NULL), NOW);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "Notify") == 1, WAIT);
  id = server_nth (f->server, "Notify", 0)->id;
  server_emit (f->server, "NotificationClosed", g_variant_new ("(uu)", id, 2));
  round_trip (NOTIFICATIONS_NAME);
  apply (f, snapshot (row ("c8", CALLER, NULL, EXTENSION, "Answered", 1, 3), NULL), NOW + 3);
  apply (f, snapshot (NULL), NOW + 9);

  apply (f, snapshot (ringing ("c9", CALLER2), NULL), NOW + 20);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "Notify") == 2, WAIT);
  r = server_nth (f->server, "Notify", 1);
  assert_body_has (r, CALLER2);
  g_assert_cmpuint (r->replaces_id, ==, 0);
  g_assert_cmpuint (server_count (f->server, "CloseNotification"), ==, 0);

  /* Closed while ringing, then missed: the missed call still shows. */
  server_emit (f->server, "NotificationClosed", g_variant_new ("(uu)", r->id, 2));
  round_trip (NOTIFICATIONS_NAME);
  apply (f, snapshot (NULL), NOW + 40);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "Notify") == 3, WAIT);
  r = server_nth (f->server, "Notify", 2);
  g_assert_cmpuint (r->replaces_id, ==, 0);
  g_assert_cmpstr (r->summary, ==, "Missed call");
  assert_body_has (r, CALLER2);
}

/* data: the server reads markup */
static void
test_caller_name_markup (Fixture       *f,
                         gconstpointer  data)
{
  Record *r;

  apply (f, snapshot (row ("c10", CALLER, "Aziz & <Sons>", EXTENSION, "Ringing", 0, 0), NULL),
         NOW);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "Notify") == 1, WAIT);
  r = server_nth (f->server, "Notify", 0);
  if (GPOINTER_TO_INT (data))
    assert_body_has (r, "Aziz &amp; &lt;Sons&gt;");
  else
    assert_body_has (r, "Aziz & <Sons>");
}

static void
test_no_server (Fixture       *f,
                gconstpointer  data)
{
  Record *r;

  g_assert_true (kc_notifier_get_available (f->notifier));
  apply (f, snapshot (ringing ("c11", CALLER), NULL), NOW);
  KC_TEST_WAIT_UNTIL (!kc_notifier_get_available (f->notifier), WAIT);
  g_assert_cmpuint (f->available_changes, ==, 1);
  g_assert_cmpuint (f->messages->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (f->messages, 0), "unavailable"));

  /* More calls, one missed: tried again, not logged again */
  apply (f, snapshot (ringing ("c11", CALLER), ringing ("c12", CALLER2), NULL), NOW + 2);
  apply (f, snapshot (ringing ("c12", CALLER2), NULL), NOW + 10);
  g_assert_cmpuint (f->missed->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->missed, 0), ==, "c11");
  round_trip ("org.freedesktop.DBus");
  g_assert_false (kc_notifier_get_available (f->notifier));
  g_assert_cmpuint (f->available_changes, ==, 1);
  g_assert_cmpuint (f->messages->len, ==, 1);

  /* A server comes: the next call pops up. */
  f->server = fake_server_start (TRUE);
  apply (f, snapshot (ringing ("c12", CALLER2), ringing ("c13", CALLER), NULL), NOW + 12);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "Notify") == 1, WAIT);
  r = server_nth (f->server, "Notify", 0);
  g_assert_cmpuint (r->replaces_id, ==, 0);
  assert_body_has (r, CALLER);
  assert_body_has (r, "Ringing");
  KC_TEST_WAIT_UNTIL (kc_notifier_get_available (f->notifier), WAIT);
  g_assert_cmpuint (f->available_changes, ==, 2);
  g_assert_cmpuint (f->messages->len, ==, 2);
  g_assert_nonnull (strstr (g_ptr_array_index (f->messages, 1), "available again"));

  /* The call that rang unseen shows when it is missed. */
  apply (f, snapshot (ringing ("c13", CALLER), NULL), NOW + 20);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "Notify") == 2, WAIT);
  r = server_nth (f->server, "Notify", 1);
  g_assert_cmpuint (r->replaces_id, ==, 0);
  g_assert_cmpstr (r->summary, ==, "Missed call");
  assert_body_has (r, CALLER2);
  round_trip (NOTIFICATIONS_NAME);
  g_assert_cmpuint (server_count (f->server, "Notify"), ==, 2);

  g_ptr_array_set_size (f->messages, 0);
}

/* The caller's context: a store with the caller's history, the
 * simulator's CRM, and what the CRM logged */
typedef struct
{
  KcSimServer     *sim;
  char            *dir;
  KcStore         *store;
  KcCallerContext *context;
  GPtrArray       *crm_messages;
  guint            crm_log;
  GPtrArray       *urls; /* from "open-url" */
} Context;

static void
record_crm_message (const char     *domain,
                    GLogLevelFlags  level,
                    const char     *message,
                    gpointer        user_data)
{
  Context *c = user_data;

  g_test_message ("%s: %s", domain, message);
  g_ptr_array_add (c->crm_messages, g_strdup (message));
}

static void
on_open_url (KcNotifier *notifier,
             const char *url,
             Context    *c)
{
  g_ptr_array_add (c->urls, g_strdup (url));
}

static void
add_history (KcStore      *store,
             const char   *call_id,
             const char   *from,
             gint64        start,
             KcCallStatus  status)
{
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_record_free);
  g_autoptr (GError) error = NULL;
  KcRecord *record = kc_record_new ();
  guint n_new;

  record->call_id = g_strdup (call_id);
  record->direction = KC_DIRECTION_INCOMING;
  record->from_number = g_strdup (from);
  record->to_number = g_strdup (EXTENSION);
  record->extension = g_strdup (EXTENSION);
  record->start_time = start;
  record->end_time = start + 30;
  record->duration = 30;
  record->status = status;
  record->from_cdr = TRUE;
  g_ptr_array_add (records, record);
  g_assert_true (kc_store_upsert_records (store, records, &n_new, &error));
  g_assert_no_error (error);
}

static void
context_up (Fixture *f,
            Context *c,
            gboolean with_lookup)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *lookup = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  c->sim = kc_sim_server_new ();
  g_assert_true (kc_sim_server_listen (c->sim, 0, NULL, &error));
  g_assert_no_error (error);
  c->dir = kc_test_make_tmpdir ();
  path = g_build_filename (c->dir, "calls.db", NULL);
  c->store = kc_store_open (path, &error);
  g_assert_no_error (error);
  /* Two calls of the last days: one missed three days ago, one answered
   * four days ago */
  add_history (c->store, "h1", CALLER, now - 3 * 24 * 3600, KC_CALL_STATUS_MISSED);
  add_history (c->store, "h2", CALLER, now - 4 * 24 * 3600, KC_CALL_STATUS_ANSWERED);
  /* As after the first sync */
  g_assert_true (kc_store_set_complete_until (c->store, now - 3 * 24 * 3600, &error));
  lookup = with_lookup ? kc_sim_server_get_crm_lookup_url (c->sim) : NULL;
  c->context = kc_caller_context_new (c->store, lookup, NULL);
  kc_caller_context_watch (c->context, f->tracker);
  kc_notifier_set_caller_context (f->notifier, c->context);
  c->crm_messages = g_ptr_array_new_with_free_func (g_free);
  c->crm_log = g_log_set_handler ("kc-crm", G_LOG_LEVEL_MESSAGE, record_crm_message, c);
  c->urls = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (f->notifier, "open-url", G_CALLBACK (on_open_url), c);
}

static void
context_down (Fixture *f,
              Context *c)
{
  g_signal_handlers_disconnect_by_func (f->notifier, on_open_url, c);
  kc_notifier_set_caller_context (f->notifier, NULL);
  g_log_remove_handler ("kc-crm", c->crm_log);
  g_ptr_array_unref (c->crm_messages);
  g_ptr_array_unref (c->urls);
  g_clear_object (&c->context);
  g_clear_object (&c->store);
  g_clear_object (&c->sim);
  kc_test_rm_rf (c->dir);
  g_free (c->dir);
}

/* The pop-up comes at once with the number and the caller's history; the
 * CRM's name replaces nothing but fills the same pop-up in when it comes,
 * and "Open in CRM" opens the customer's card */
static void
test_crm_name_in_place (Fixture       *f,
                        gconstpointer  data)
{
  Context c = { 0 };
  g_autofree char *card = NULL;
  Record *first, *second;

  context_up (f, &c, TRUE);
  card = g_strdup_printf ("http://127.0.0.1:%u/crm/customers/1", kc_sim_server_get_port (c.sim));

  apply (f, snapshot (ringing ("k1", CALLER), NULL), NOW);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "Notify") == 1, WAIT);
  first = server_nth (f->server, "Notify", 0);
  assert_body_has (first, CALLER);
  assert_body_has (first, "2 calls in 7 days, last: missed ");
  g_assert_null (strstr (first->body, "Sharq Savdo"));
  g_assert_null (action_label (first, "crm"));

  KC_TEST_WAIT_UNTIL (server_count (f->server, "Notify") == 2, WAIT);
  second = server_nth (f->server, "Notify", 1);
  g_assert_cmpuint (second->replaces_id, ==, first->id);
  g_assert_cmpstr (second->summary, ==, "Incoming call");
  assert_body_has (second, "Aziz Karimov (Sharq Savdo MChJ)");
  assert_body_has (second, CALLER);
  assert_body_has (second, "2 calls in 7 days, last: missed ");
  assert_body_has (second, "Ringing");
  g_assert_cmpstr (action_label (second, "crm"), ==, "Open in CRM");
  g_assert_cmpuint (hint_byte (second, "urgency"), ==, 2);

  /* Names read again (the PBX's directory) that change nothing for this
   * caller send nothing */
  kc_caller_context_names_changed (c.context, NULL);
  round_trip (NOTIFICATIONS_NAME);
  g_assert_cmpuint (server_count (f->server, "Notify"), ==, 2);

  server_emit (f->server, "ActionInvoked", g_variant_new ("(us)", second->id, "crm"));
  KC_TEST_WAIT_UNTIL (c.urls->len == 1, WAIT);
  g_assert_cmpstr (g_ptr_array_index (c.urls, 0), ==, card);

  /* Answered: the same pop-up, the name and the history kept */
  apply (f, snapshot (row ("k1", CALLER, NULL, EXTENSION, "Answered", 1, 5), NULL), NOW + 5);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "Notify") == 3, WAIT);
  assert_body_has (server_nth (f->server, "Notify", 2), "Aziz Karimov (Sharq Savdo MChJ)");
  assert_body_has (server_nth (f->server, "Notify", 2), "2 calls in 7 days");
  g_assert_cmpuint (kc_sim_server_get_crm_lookup_count (c.sim), ==, 1);

  /* The next call of the day has the name at once, without asking again */
  apply (f, snapshot (NULL), NOW + 30);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "CloseNotification") == 1, WAIT);
  apply (f, snapshot (ringing ("k2", CALLER), NULL), NOW + 60);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "Notify") == 4, WAIT);
  assert_body_has (server_nth (f->server, "Notify", 3), "Aziz Karimov (Sharq Savdo MChJ)");
  round_trip (NOTIFICATIONS_NAME);
  kc_test_run_for (0.2);
  g_assert_cmpuint (kc_sim_server_get_crm_lookup_count (c.sim), ==, 1);
  g_assert_cmpuint (server_count (f->server, "Notify"), ==, 4);
  g_assert_cmpuint (c.crm_messages->len, ==, 0);

  context_down (f, &c);
}

/* A CRM slower than 1.5 s: the pop-up is up at once with the number, stays
 * without a name, and the CRM is logged once however many calls come */
static void
test_crm_slow (Fixture       *f,
               gconstpointer  data)
{
  Context c = { 0 };
  gint64 start;

  context_up (f, &c, TRUE);
  kc_sim_server_set_slow_delay (c.sim, 3);
  kc_sim_server_set_crm_fault (c.sim, KC_SIM_CRM_SLOW);

  start = g_get_monotonic_time ();
  apply (f, snapshot (ringing ("s1", CALLER), NULL), NOW);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "Notify") == 1, WAIT);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC / 2);
  assert_body_has (server_nth (f->server, "Notify", 0), CALLER);
  assert_body_has (server_nth (f->server, "Notify", 0), "2 calls in 7 days");

  KC_TEST_WAIT_UNTIL (c.crm_messages->len == 1, WAIT);
  g_assert_nonnull (strstr (g_ptr_array_index (c.crm_messages, 0), "1.5 s"));
  kc_test_run_for (0.3);
  g_assert_cmpuint (server_count (f->server, "Notify"), ==, 1);

  /* Another caller, the CRM still slow: at once again, no second line */
  start = g_get_monotonic_time ();
  apply (f, snapshot (ringing ("s1", CALLER), ringing ("s2", CALLER2), NULL), NOW + 2);
  KC_TEST_WAIT_UNTIL (server_count (f->server, "Notify") == 2, WAIT);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC / 2);
  assert_body_has (server_nth (f->server, "Notify", 1), CALLER2);
  assert_body_has (server_nth (f->server, "Notify", 1), "No earlier calls");
  kc_test_run_for (2.0);
  g_assert_cmpuint (c.crm_messages->len, ==, 1);
  g_assert_cmpuint (server_count (f->server, "Notify"), ==, 2);
  g_assert_null (action_label (server_nth (f->server, "Notify", 1), "crm"));

  context_down (f, &c);
}

int
main (int   argc,
      char *argv[])
{
  kc_test_bus_up ();
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/notifier/ringing-answered-finished", Fixture, GINT_TO_POINTER (TRUE), setup,
              test_ringing_answered_finished, teardown);
  g_test_add ("/notifier/missed", Fixture, GINT_TO_POINTER (TRUE), setup, test_missed, teardown);
  g_test_add ("/notifier/missed-corrected", Fixture, GINT_TO_POINTER (TRUE), setup,
              test_missed_corrected, teardown);
  g_test_add ("/notifier/actions", Fixture, GINT_TO_POINTER (TRUE), setup, test_actions,
              teardown);
  g_test_add ("/notifier/outgoing-and-paused", Fixture, GINT_TO_POINTER (TRUE), setup,
              test_outgoing_and_paused, teardown);
  g_test_add ("/notifier/ends-before-server-answers", Fixture, GINT_TO_POINTER (TRUE), setup,
              test_ends_before_server_answers, teardown);
  g_test_add ("/notifier/dismissed", Fixture, GINT_TO_POINTER (TRUE), setup, test_dismissed,
              teardown);
  g_test_add ("/notifier/caller-name/markup", Fixture, GINT_TO_POINTER (TRUE), setup,
              test_caller_name_markup, teardown);
  g_test_add ("/notifier/caller-name/plain", Fixture, GINT_TO_POINTER (FALSE), setup,
              test_caller_name_markup, teardown);
  g_test_add ("/notifier/no-server", Fixture, NULL, setup_bare, test_no_server, teardown);
  g_test_add ("/notifier/crm/name-in-place", Fixture, GINT_TO_POINTER (TRUE), setup,
              test_crm_name_in_place, teardown);
  g_test_add ("/notifier/crm/slow", Fixture, GINT_TO_POINTER (TRUE), setup, test_crm_slow,
              teardown);

  return g_test_run ();
}

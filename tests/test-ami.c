/* test-ami.c: the AMI client against the simulator's AMI (both event
 * families) and against small fake servers over loopback
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "kc-test-util.h"
#include "kerio/kc-ami-client.h"
#include "sim/kc-sim-server.h"

#define MOBILE "+998901234567"

typedef struct
{
  KcSimServer     *sim;
  KcSimAmiVersion  version;
  KcAmiClient     *client;
  GPtrArray       *events;  /* KcAmiMessage */
  GArray          *states;  /* KcAmiState, each change */
} Fixture;

static void
on_event (KcAmiClient  *client,
          KcAmiMessage *event,
          Fixture      *f)
{
  g_ptr_array_add (f->events, kc_ami_message_ref (event));
}

static void
on_state (KcAmiClient *client,
          GParamSpec  *pspec,
          Fixture     *f)
{
  KcAmiState state = kc_ami_client_get_state (client);

  g_array_append_val (f->states, state);
}

static KcAmiClient *
new_client (Fixture    *f,
            guint16     port,
            const char *secret)
{
  KcAmiClient *client = kc_ami_client_new ("127.0.0.1", port, KC_SIM_DEFAULT_USERNAME, secret);

  g_signal_connect (client, "event", G_CALLBACK (on_event), f);
  g_signal_connect (client, "notify::state", G_CALLBACK (on_state), f);
  return client;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  f->sim = kc_sim_server_new ();
  kc_sim_server_listen (f->sim, 0, NULL, &error);
  g_assert_no_error (error);
  f->version = GPOINTER_TO_INT (data);
  kc_sim_server_set_ami_version (f->sim, f->version);
  kc_sim_server_listen_ami (f->sim, 0, &error);
  g_assert_no_error (error);
  f->events = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_ami_message_unref);
  f->states = g_array_new (FALSE, FALSE, sizeof (KcAmiState));
  f->client = new_client (f, kc_sim_server_get_ami_port (f->sim), KC_SIM_DEFAULT_PASSWORD);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  if (f->client != NULL)
    g_signal_handlers_disconnect_by_data (f->client, f);
  g_clear_object (&f->client);
  /* Let the client's last I/O wind down against a live server */
  kc_test_run_for (0.05);
  g_clear_object (&f->sim);
  g_ptr_array_unref (f->events);
  g_array_unref (f->states);
}

static void
wait_state (KcAmiClient *client,
            KcAmiState   state)
{
  KC_TEST_WAIT_UNTIL (kc_ami_client_get_state (client) == state, 15);
}

static KcAmiMessage *
wait_event (Fixture    *f,
            guint      *cursor,
            const char *name,
            const char *channel_prefix)
{
  for (;;)
    {
      KcAmiMessage *event;

      KC_TEST_WAIT_UNTIL (f->events->len > *cursor, 10);
      event = g_ptr_array_index (f->events, (*cursor)++);
      if (kc_ami_message_is_event (event, name)
          && (channel_prefix == NULL
              || g_str_has_prefix (kc_ami_message_get (event, "channel"), channel_prefix)))
        return event;
    }
}

/* --- The session */

/* Greeting, MD5 login with Events: call, then a call's events in order:
 * the keys read in any case, and only call events */
static void
test_login_and_events (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *call_id = NULL;
  KcAmiMessage *event;
  const char *callee_id;
  guint cursor = 0;

  kc_ami_client_start (f->client);
  g_assert_cmpint (kc_ami_client_get_state (f->client), ==, KC_AMI_STATE_CONNECTING);
  wait_state (f->client, KC_AMI_STATE_CONNECTED);
  g_assert_null (kc_ami_client_get_error (f->client));
  g_assert_cmpstr (kc_ami_client_get_version (f->client), ==,
                   f->version == KC_SIM_AMI_18    ? "7.0.3"
                   : f->version == KC_SIM_AMI_1_8 ? "1.1"
                                                  : "1.3");
  g_assert_cmpuint (kc_sim_server_get_ami_action_count (f->sim, "Challenge"), ==, 1);
  g_assert_cmpuint (kc_sim_server_get_ami_action_count (f->sim, "Login"), ==, 1);
  g_assert_cmpuint (kc_sim_server_get_ami_login_count (f->sim), ==, 1);

  call_id = g_strdup (kc_sim_server_add_call (f->sim, MOBILE, "Aziz", "1001", NULL));
  event = wait_event (f, &cursor, "Newchannel", NULL);
  /* The first of all: no PeerStatus (a system event) came before it */
  g_assert_cmpuint (cursor, ==, 1);
  g_assert_cmpstr (kc_ami_message_get (event, "UNIQUEID"), ==, call_id);
  g_assert_cmpstr (kc_ami_message_get (event, "channelstate"), ==, "4");
  g_assert_cmpstr (kc_ami_message_get (event, "CallerIDNum"), ==, MOBILE);

  event = wait_event (f, &cursor, "Newchannel", "SIP/1001-");
  callee_id = kc_ami_message_get (event, "uniqueid");
  g_assert_cmpstr (kc_ami_message_get (event, "ChannelStateDesc"), ==, "Down");
  event = wait_event (f, &cursor, f->version == KC_SIM_AMI_18 ? "DialBegin" : "Dial", NULL);
  /* "DestUniqueID" in 11, "DestUniqueid" in 18: one key to the client */
  g_assert_cmpstr (kc_ami_message_get (event, "destuniqueid"), ==, callee_id);
  g_assert_cmpstr (kc_ami_message_get (event, "Uniqueid"), ==, call_id);
  event = wait_event (f, &cursor, "newstate", NULL);
  g_assert_cmpstr (kc_ami_message_get (event, "ChannelState"), ==, "5");
  g_assert_cmpstr (kc_ami_message_get (event, "ConnectedLineNum"), ==, MOBILE);
  g_assert_cmpstr (kc_ami_message_get (event, "context"), ==, "sip-locals-callPermissions");

  kc_sim_server_answer_call (f->sim, call_id);
  event = wait_event (f, &cursor, "Newstate", "SIP/1001-");
  g_assert_cmpstr (kc_ami_message_get (event, "ChannelStateDesc"), ==, "Up");
  if (f->version == KC_SIM_AMI_18)
    wait_event (f, &cursor, "BridgeEnter", "SIP/1001-");
  else
    wait_event (f, &cursor, "Bridge", NULL);

  kc_sim_server_end_call (f->sim, call_id, KC_SIM_CDR_NO_ANSWER);
  event = wait_event (f, &cursor, "Hangup", "SIP/1001-");
  g_assert_cmpstr (kc_ami_message_get (event, "cause"), ==, "16");
  event = wait_event (f, &cursor, "Hangup", "SIP/trunk-");
  g_assert_cmpstr (kc_ami_message_get (event, "Cause-Txt"), ==, "Normal Clearing");
  if (f->version != KC_SIM_AMI_1_8)
    g_assert_cmpstr (kc_ami_message_get (event, "LinkedID"), ==, call_id);
  g_assert_cmpuint (cursor, ==, f->events->len);

  for (guint i = 0; i < f->events->len; i++)
    g_assert_false (kc_ami_message_is_event (g_ptr_array_index (f->events, i), "PeerStatus"));
  g_assert_cmpint (kc_ami_client_get_state (f->client), ==, KC_AMI_STATE_CONNECTED);
}

/* A server without the MD5 challenge gets the secret itself */
static void
test_plain_login (Fixture       *f,
                  gconstpointer  data)
{
  kc_sim_server_set_ami_challenge (f->sim, FALSE);
  kc_ami_client_start (f->client);
  wait_state (f->client, KC_AMI_STATE_CONNECTED);
  g_assert_cmpuint (kc_sim_server_get_ami_action_count (f->sim, "Challenge"), ==, 1);
  g_assert_cmpuint (kc_sim_server_get_ami_action_count (f->sim, "Login"), ==, 1);
  g_assert_cmpuint (kc_sim_server_get_ami_login_count (f->sim), ==, 1);
}

/* Pings keep the session up; unanswered, one ends it; the session comes
 * back once the server answers again */
static void
test_ping (Fixture       *f,
           gconstpointer  data)
{
  const GError *error;

  kc_ami_client_set_ping_interval (f->client, 1);
  kc_ami_client_set_timeout (f->client, 1);
  kc_ami_client_start (f->client);
  wait_state (f->client, KC_AMI_STATE_CONNECTED);
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_ami_action_count (f->sim, "Ping") >= 2, 10);
  g_assert_cmpint (kc_ami_client_get_state (f->client), ==, KC_AMI_STATE_CONNECTED);

  kc_sim_server_set_ami_hang (f->sim, TRUE);
  wait_state (f->client, KC_AMI_STATE_DISCONNECTED);
  error = kc_ami_client_get_error (f->client);
  g_assert_error ((GError *) error, KC_KERIO_ERROR, KC_KERIO_ERROR_TRANSPORT);
  g_assert_nonnull (strstr (error->message, "stopped answering"));
  kc_sim_server_set_ami_hang (f->sim, FALSE);
  wait_state (f->client, KC_AMI_STATE_CONNECTED);
  g_assert_null (kc_ami_client_get_error (f->client));
  g_assert_cmpuint (kc_sim_server_get_ami_connection_count (f->sim), ==, 2);
}

/* After a drop the client connects again after 1 s, then 2 s, ...; events
 * flow again on the new session */
static void
test_reconnect_backoff (Fixture       *f,
                        gconstpointer  data)
{
  gint64 dropped, first_gap, second_gap;
  g_autofree char *call_id = NULL;
  guint cursor = 0;

  kc_ami_client_start (f->client);
  wait_state (f->client, KC_AMI_STATE_CONNECTED);

  kc_sim_server_drop_ami (f->sim);
  dropped = g_get_monotonic_time ();
  wait_state (f->client, KC_AMI_STATE_DISCONNECTED);
  g_assert_error ((GError *) kc_ami_client_get_error (f->client), KC_KERIO_ERROR,
                  KC_KERIO_ERROR_TRANSPORT);
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_ami_connection_count (f->sim) == 2, 10);
  first_gap = g_get_monotonic_time () - dropped;
  wait_state (f->client, KC_AMI_STATE_CONNECTED);

  kc_sim_server_drop_ami (f->sim);
  dropped = g_get_monotonic_time ();
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_ami_connection_count (f->sim) == 3, 10);
  second_gap = g_get_monotonic_time () - dropped;
  wait_state (f->client, KC_AMI_STATE_CONNECTED);

  g_test_message ("reconnected after %.2f s, then %.2f s", first_gap / 1e6, second_gap / 1e6);
  g_assert_cmpint (first_gap, >=, 0.9 * G_USEC_PER_SEC);
  g_assert_cmpint (first_gap, <, 1.9 * G_USEC_PER_SEC);
  g_assert_cmpint (second_gap, >=, 1.9 * G_USEC_PER_SEC);
  g_assert_cmpint (second_gap, <, 3.5 * G_USEC_PER_SEC);

  call_id = g_strdup (kc_sim_server_add_call (f->sim, MOBILE, NULL, "1001", NULL));
  g_assert_cmpstr (kc_ami_message_get (wait_event (f, &cursor, "Newchannel", NULL), "Uniqueid"),
                   ==, call_id);
}

/* A refused login is one error and no retry loop; new credentials (or
 * the same given again) try once more at once */
static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  const GError *error;
  guint n_states;

  kc_sim_server_set_ami_refuse (f->sim, TRUE);
  kc_ami_client_start (f->client);
  wait_state (f->client, KC_AMI_STATE_REFUSED);
  error = kc_ami_client_get_error (f->client);
  g_assert_error ((GError *) error, KC_KERIO_ERROR, KC_KERIO_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "Authentication failed"));
  g_assert_nonnull (strstr (error->message, "127.0.0.1:"));
  {
    g_autofree char *last_error = NULL;

    g_object_get (f->client, "last-error", &last_error, NULL);
    g_assert_cmpstr (last_error, ==, error->message);
  }

  n_states = f->states->len;
  kc_test_run_for (3);
  g_assert_cmpuint (kc_sim_server_get_ami_action_count (f->sim, "Login"), ==, 1);
  g_assert_cmpuint (kc_sim_server_get_ami_connection_count (f->sim), ==, 1);
  g_assert_cmpuint (f->states->len, ==, n_states);

  /* Stopping and starting again is no way round it */
  kc_ami_client_stop (f->client);
  kc_ami_client_start (f->client);
  kc_test_run_for (0.5);
  g_assert_cmpuint (kc_sim_server_get_ami_action_count (f->sim, "Login"), ==, 1);
  g_assert_cmpint (kc_ami_client_get_state (f->client), ==, KC_AMI_STATE_REFUSED);

  /* The administrator fixed it on the PBX; the operator tries again */
  kc_sim_server_set_ami_refuse (f->sim, FALSE);
  kc_ami_client_set_credentials (f->client, KC_SIM_DEFAULT_USERNAME, KC_SIM_DEFAULT_PASSWORD);
  wait_state (f->client, KC_AMI_STATE_CONNECTED);
  g_assert_cmpuint (kc_sim_server_get_ami_action_count (f->sim, "Login"), ==, 2);
}

static void
test_wrong_secret (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr (KcAmiClient) client = new_client (f, kc_sim_server_get_ami_port (f->sim), "wrong");
  g_autofree char *username = NULL;

  kc_ami_client_start (client);
  wait_state (client, KC_AMI_STATE_REFUSED);
  g_assert_error ((GError *) kc_ami_client_get_error (client), KC_KERIO_ERROR,
                  KC_KERIO_ERROR_AUTH);

  /* A line break would make a field of its own: never sent */
  kc_ami_client_set_credentials (client, KC_SIM_DEFAULT_USERNAME, "demo\r\nAction: Originate");
  wait_state (client, KC_AMI_STATE_CONNECTING);
  wait_state (client, KC_AMI_STATE_REFUSED);
  g_assert_nonnull (strstr (kc_ami_client_get_error (client)->message, "line break"));
  g_assert_cmpuint (kc_sim_server_get_ami_action_count (f->sim, "Login"), ==, 1);
  g_assert_cmpuint (kc_sim_server_get_ami_action_count (f->sim, "Originate"), ==, 0);

  kc_ami_client_set_credentials (client, "admin", KC_SIM_DEFAULT_PASSWORD);
  wait_state (client, KC_AMI_STATE_CONNECTED);
  g_object_get (client, "username", &username, NULL);
  g_assert_cmpstr (username, ==, "admin");
  g_signal_handlers_disconnect_by_data (client, f);
}

/* stop() logs off, and the client stays away */
static void
test_stop_logs_off (Fixture       *f,
                    gconstpointer  data)
{
  kc_ami_client_start (f->client);
  wait_state (f->client, KC_AMI_STATE_CONNECTED);
  kc_ami_client_stop (f->client);
  g_assert_cmpint (kc_ami_client_get_state (f->client), ==, KC_AMI_STATE_DISCONNECTED);
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_ami_action_count (f->sim, "Logoff") == 1, 10);
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_ami_session_count (f->sim) == 0, 10);
  kc_test_run_for (1.5);
  g_assert_cmpuint (kc_sim_server_get_ami_connection_count (f->sim), ==, 1);

  /* Unreffed while logged in: it logs off all the same */
  kc_ami_client_start (f->client);
  wait_state (f->client, KC_AMI_STATE_CONNECTED);
  g_signal_handlers_disconnect_by_data (f->client, f);
  g_clear_object (&f->client);
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_ami_action_count (f->sim, "Logoff") == 2, 10);
}

/* The PBX reboots: the hang-ups come, the session drops, and comes back
 * once the PBX listens again */
static void
test_restart (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *call_id = NULL;
  guint cursor = 0;

  kc_ami_client_start (f->client);
  wait_state (f->client, KC_AMI_STATE_CONNECTED);
  call_id = g_strdup (kc_sim_server_add_call (f->sim, MOBILE, NULL, "1001", NULL));
  wait_event (f, &cursor, "Newstate", NULL);
  kc_sim_server_restart (f->sim, 1.5);
  wait_event (f, &cursor, "Hangup", "SIP/trunk-");
  wait_state (f->client, KC_AMI_STATE_DISCONNECTED);
  wait_state (f->client, KC_AMI_STATE_CONNECTED);
  g_assert_false (kc_sim_server_is_down (f->sim));
}

/* --- The Test button */

static void
test_one_shot (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr (KcAmiClient) wrong = new_client (f, kc_sim_server_get_ami_port (f->sim), "wrong");
  g_autoptr (KcAmiClient) nowhere = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GAsyncResult) ok = NULL;
  g_autoptr (GAsyncResult) refused = NULL;
  g_autoptr (GAsyncResult) closed = NULL;
  g_autoptr (GAsyncResult) cancelled = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autofree char *version = NULL;
  guint16 unused_port;

  kc_ami_client_test_async (f->client, NULL, kc_test_store_result, &ok);
  KC_TEST_AWAIT (ok);
  version = kc_ami_client_test_finish (f->client, ok, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (version, ==, "1.3");
  /* Apart from the client's own session, which is not started */
  g_assert_cmpint (kc_ami_client_get_state (f->client), ==, KC_AMI_STATE_DISCONNECTED);
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_ami_action_count (f->sim, "Logoff") == 1, 10);

  kc_ami_client_test_async (wrong, NULL, kc_test_store_result, &refused);
  KC_TEST_AWAIT (refused);
  g_assert_null (kc_ami_client_test_finish (wrong, refused, &error));
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_AUTH);
  g_clear_error (&error);
  g_signal_handlers_disconnect_by_data (wrong, f);

  /* A port nobody listens on: bound, never listening */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                         &error);
  g_assert_no_error (error);
  address = g_inet_socket_address_new (loopback, 0);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  g_clear_object (&address);
  address = g_socket_get_local_address (socket, &error);
  unused_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
  nowhere = kc_ami_client_new ("127.0.0.1", unused_port, "admin", "demo");
  kc_ami_client_test_async (nowhere, NULL, kc_test_store_result, &closed);
  KC_TEST_AWAIT (closed);
  g_assert_null (kc_ami_client_test_finish (nowhere, closed, &error));
  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_TRANSPORT);
  g_clear_error (&error);

  kc_ami_client_test_async (f->client, cancellable, kc_test_store_result, &cancelled);
  g_cancellable_cancel (cancellable);
  KC_TEST_AWAIT (cancelled);
  g_assert_null (kc_ami_client_test_finish (f->client, cancelled, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* --- Servers that are not quite an AMI */

typedef struct
{
  const char *name;
  const char *script;    /* what the server sends on connect */
  gsize       size;      /* 0: strlen (script) */
  int         error;     /* KcKerioError */
  const char  *message;  /* a part of the error's message */
} FakeCase;

typedef struct
{
  GSocketService *service;
  guint16         port;
  GPtrArray      *connections;
  GBytes         *script;
} FakeServer;

static void
on_fake_written (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL);
  g_bytes_unref (user_data);
}

static gboolean
on_fake_incoming (GSocketService    *service,
                  GSocketConnection *connection,
                  GObject           *source,
                  gpointer           user_data)
{
  FakeServer *fake = user_data;
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  gsize size;
  const char *data = g_bytes_get_data (fake->script, &size);

  /* Kept open: the client is to end it */
  g_ptr_array_add (fake->connections, g_object_ref (connection));
  if (size > 0)
    g_output_stream_write_all_async (out, data, size, G_PRIORITY_DEFAULT, NULL, on_fake_written,
                                     g_bytes_ref (fake->script));
  return TRUE;
}

static FakeServer *
fake_server_new (const char *script,
                 gsize       size)
{
  FakeServer *fake = g_new0 (FakeServer, 1);
  g_autoptr (GError) error = NULL;

  fake->service = g_socket_service_new ();
  fake->port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (fake->service), NULL,
                                                    &error);
  g_assert_no_error (error);
  fake->connections = g_ptr_array_new_with_free_func (g_object_unref);
  fake->script = g_bytes_new (script, size);
  g_signal_connect (fake->service, "incoming", G_CALLBACK (on_fake_incoming), fake);
  g_socket_service_start (fake->service);
  return fake;
}

static void
fake_server_free (FakeServer *fake)
{
  g_socket_service_stop (fake->service);
  g_socket_listener_close (G_SOCKET_LISTENER (fake->service));
  g_object_unref (fake->service);
  for (guint i = 0; i < fake->connections->len; i++)
    g_io_stream_close (g_ptr_array_index (fake->connections, i), NULL, NULL);
  g_ptr_array_unref (fake->connections);
  g_bytes_unref (fake->script);
  g_free (fake);
}

static void
test_fake_server (gconstpointer data)
{
  const FakeCase *c = data;
  g_autoptr (GString) script = g_string_new_len (c->script, c->size ? c->size : strlen (c->script));
  g_autoptr (KcAmiClient) client = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *version = NULL;
  FakeServer *fake;

  /* A line past the limit: the client must stop reading it, not wait for
   * its end */
  if (strcmp (c->name, "long-line") == 0)
    for (guint i = 0; i < 20000; i++)
      g_string_append_c (script, 'x');
  if (strcmp (c->name, "long-block") == 0)
    {
      for (guint i = 0; i < 300; i++)
        g_string_append_printf (script, "Key%u: value\r\n", i);
      g_string_append (script, "\r\n");
    }
  fake = fake_server_new (script->str, script->len);

  client = kc_ami_client_new ("127.0.0.1", fake->port, "admin", "demo");
  kc_ami_client_set_timeout (client, 1);
  kc_ami_client_test_async (client, NULL, kc_test_store_result, &result);
  KC_TEST_AWAIT (result);
  version = kc_ami_client_test_finish (client, result, &error);
  g_assert_null (version);
  g_assert_error (error, KC_KERIO_ERROR, c->error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, c->message));
  g_assert_true (g_utf8_validate (error->message, -1, NULL));

  /* The long-lived session meets the same error, and tries again later */
  kc_ami_client_start (client);
  KC_TEST_WAIT_UNTIL (kc_ami_client_get_error (client) != NULL, 10);
  g_assert_error ((GError *) kc_ami_client_get_error (client), KC_KERIO_ERROR, c->error);
  g_assert_cmpint (kc_ami_client_get_state (client), ==, KC_AMI_STATE_DISCONNECTED);
  kc_ami_client_stop (client);
  fake_server_free (fake);
}

static const FakeCase fake_cases[] = {
  { "ssh", "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", 0, KC_KERIO_ERROR_NOT_KERIO,
    "not an Asterisk Manager Interface: it greeted with “SSH-2.0-OpenSSH_9.2p1 Debian-2”" },
  { "silent", "", 0, KC_KERIO_ERROR_NOT_KERIO, "not an Asterisk Manager Interface: it sent no "
                                               "greeting within 1 s" },
  { "binary", "\x16\x03\x01\x02\x00\x01\xff\xfe\r\n", 10, KC_KERIO_ERROR_NOT_KERIO,
    "not an Asterisk Manager Interface" },
  { "mute", "Asterisk Call Manager/1.3\r\n", 0, KC_KERIO_ERROR_TRANSPORT,
    "did not answer the login within 1 s" },
  { "long-line", "Asterisk Call Manager/1.3\r\n", 0, KC_KERIO_ERROR_TOO_LARGE,
    "a line longer than 8192 bytes" },
  { "long-block", "Asterisk Call Manager/1.3\r\nEvent: Huge\r\n", 0, KC_KERIO_ERROR_TOO_LARGE,
    "more than 200 lines" },
  { "challenge-without-challenge",
    "Asterisk Call Manager/1.3\r\nResponse: Success\r\nActionID: kc-1\r\n\r\n", 0,
    KC_KERIO_ERROR_MALFORMED, "without a challenge" },
};

int
main (int   argc,
      char *argv[])
{
  static const struct
  {
    const char      *name;
    KcSimAmiVersion  version;
  } families[] = {
    { "11", KC_SIM_AMI_11 },
    { "18", KC_SIM_AMI_18 },
    { "1.8", KC_SIM_AMI_1_8 },
  };

  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/ami/" path, Fixture, GINT_TO_POINTER (KC_SIM_AMI_11), fixture_set_up, func, \
              fixture_tear_down)

  for (guint i = 0; i < G_N_ELEMENTS (families); i++)
    {
      g_autofree char *path = g_strdup_printf ("/ami/%s/login-and-events", families[i].name);

      g_test_add (path, Fixture, GINT_TO_POINTER (families[i].version), fixture_set_up,
                  test_login_and_events, fixture_tear_down);
    }
  ADD ("plain-login", test_plain_login);
  ADD ("ping", test_ping);
  ADD ("reconnect-backoff", test_reconnect_backoff);
  ADD ("refused", test_refused);
  ADD ("wrong-secret", test_wrong_secret);
  ADD ("stop-logs-off", test_stop_logs_off);
  ADD ("restart", test_restart);
  ADD ("test-button", test_one_shot);
  for (guint i = 0; i < G_N_ELEMENTS (fake_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/ami/not-quite-ami/%s", fake_cases[i].name);

      g_test_add_data_func (path, &fake_cases[i], test_fake_server);
    }

  return g_test_run ();
}

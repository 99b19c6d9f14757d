/* kc-sim-server-ami.c: the Asterisk Manager Interface: listener, sessions,
 * login, actions, faults
 *
 * Written apart from the client's parser (src/kerio/kc-ami-parse.c) on
 * purpose: a test of the one against the other must not share its
 * mistakes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-sim-server"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "kc-sim-server-private.h"

/* What the sim reads of one action at most; a client past it is cut off */
#define MAX_ACTION_FIELDS 64

typedef struct
{
  gatomicrefcount    ref_count;
  KcSimServer       *self; /* NULL once closed */
  GSocketConnection *connection;
  GDataInputStream  *input;
  GCancellable      *cancellable;
  GString           *out;
  GBytes            *writing;
  gboolean           close_when_written;
  GHashTable        *action;  /* of the action being read: lower-case key -> value */
  char              *challenge;
  gboolean           logged_in;
  char             **classes; /* event classes asked for; NULL: all */
} SimAmiSession;

static SimAmiSession *
session_ref (SimAmiSession *session)
{
  g_atomic_ref_count_inc (&session->ref_count);
  return session;
}

static void
session_unref (SimAmiSession *session)
{
  if (!g_atomic_ref_count_dec (&session->ref_count))
    return;
  g_clear_object (&session->connection);
  g_clear_object (&session->input);
  g_clear_object (&session->cancellable);
  g_string_free (session->out, TRUE);
  g_clear_pointer (&session->writing, g_bytes_unref);
  g_hash_table_unref (session->action);
  g_free (session->challenge);
  g_strfreev (session->classes);
  g_free (session);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimAmiSession, session_unref)

/* Ends the session now; what is not written yet is lost */
static void
session_close (SimAmiSession *session)
{
  KcSimServer *self = session->self;

  if (self == NULL)
    return;
  session->self = NULL;
  g_cancellable_cancel (session->cancellable);
  g_socket_close (g_socket_connection_get_socket (session->connection), NULL);
  /* The array's reference goes last: the caller may hold none */
  g_ptr_array_remove_fast (self->ami.sessions, session);
}

/* --- Writing */

static void session_flush (SimAmiSession *session);

static void
on_written (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (SimAmiSession) session = user_data;
  g_autoptr (GError) error = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  g_clear_pointer (&session->writing, g_bytes_unref);
  if (session->self == NULL)
    return;
  if (error != NULL)
    session_close (session);
  else if (session->out->len > 0)
    session_flush (session);
  else if (session->close_when_written)
    session_close (session);
}

static void
session_flush (SimAmiSession *session)
{
  const void *data;
  gsize size;

  if (session->writing != NULL || session->out->len == 0)
    return;
  session->writing = g_string_free_to_bytes (g_steal_pointer (&session->out));
  session->out = g_string_new (NULL);
  data = g_bytes_get_data (session->writing, &size);
  g_output_stream_write_all_async (
    g_io_stream_get_output_stream (G_IO_STREAM (session->connection)), data, size,
    G_PRIORITY_DEFAULT, session->cancellable, on_written, session_ref (session));
}

static void
session_send (SimAmiSession *session,
              const char    *block)
{
  g_string_append (session->out, block);
  session_flush (session);
}

/* Closes once everything sent so far is out */
static void
session_finish (SimAmiSession *session)
{
  session->close_when_written = TRUE;
  if (session->writing == NULL && session->out->len == 0)
    session_close (session);
}

/* --- Answers */

static void
respond (SimAmiSession *session,
         const char    *response,
         const char    *message,
         const char    *extra)
{
  const char *action_id = g_hash_table_lookup (session->action, "actionid");
  g_autoptr (GString) block = g_string_new (NULL);

  g_string_append_printf (block, "Response: %s\r\n", response);
  if (action_id != NULL)
    g_string_append_printf (block, "ActionID: %s\r\n", action_id);
  if (message != NULL)
    g_string_append_printf (block, "Message: %s\r\n", message);
  if (extra != NULL)
    g_string_append (block, extra);
  g_string_append (block, "\r\n");
  session_send (session, block->str);
}

static const char *
ami_username (KcSimServer *self)
{
  return self->ami.username != NULL ? self->ami.username : self->username;
}

static const char *
ami_secret (KcSimServer *self)
{
  return self->ami.secret != NULL ? self->ami.secret : self->password;
}

static gboolean
login_matches (KcSimServer   *self,
               SimAmiSession *session)
{
  const char *username = g_hash_table_lookup (session->action, "username");
  const char *auth_type = g_hash_table_lookup (session->action, "authtype");
  const char *key = g_hash_table_lookup (session->action, "key");
  const char *secret = g_hash_table_lookup (session->action, "secret");

  if (g_strcmp0 (username, ami_username (self)) != 0)
    return FALSE;
  if (auth_type != NULL && g_ascii_strcasecmp (auth_type, "md5") == 0)
    {
      g_autofree char *text = NULL;
      g_autofree char *expected = NULL;

      /* A challenge answers one login */
      if (session->challenge == NULL || key == NULL)
        return FALSE;
      text = g_strconcat (session->challenge, ami_secret (self), NULL);
      g_clear_pointer (&session->challenge, g_free);
      expected = g_compute_checksum_for_string (G_CHECKSUM_MD5, text, -1);
      return g_ascii_strcasecmp (key, expected) == 0;
    }
  return g_strcmp0 (secret, ami_secret (self)) == 0;
}

static void
take_login (KcSimServer   *self,
            SimAmiSession *session)
{
  const char *events = g_hash_table_lookup (session->action, "events");

  if (self->ami.refuse || !login_matches (self, session))
    {
      respond (session, "Error", "Authentication failed", NULL);
      return;
    }
  session->logged_in = TRUE;
  self->ami.login_count++;
  g_clear_pointer (&session->classes, g_strfreev);
  if (events != NULL && g_ascii_strcasecmp (events, "off") == 0)
    session->classes = g_new0 (char *, 1);
  else if (events != NULL && g_ascii_strcasecmp (events, "on") != 0)
    {
      session->classes = g_strsplit (events, ",", -1);
      for (guint i = 0; session->classes[i]; i++)
        g_strstrip (session->classes[i]);
    }
  respond (session, "Success", "Authentication accepted", NULL);
  /* As Asterisk tells a new session it is up; a system event, which
   * "Events: call" leaves out */
  if (!self->ami.hang)
    {
      g_autoptr (GString) event = g_string_new ("Event: FullyBooted\r\nPrivilege: system,all\r\n"
                                                "Status: Fully Booted\r\n");

      kc_sim_ami_broadcast (self, "system,all", event);
    }
}

static void
take_action (KcSimServer   *self,
             SimAmiSession *session)
{
  const char *action = g_hash_table_lookup (session->action, "action");
  gpointer count;

  if (action == NULL)
    {
      if (!self->ami.hang)
        respond (session, "Error", "Missing action in request", NULL);
      return;
    }
  count = g_hash_table_lookup (self->ami.action_counts, action);
  /* The name as first sent stays the key */
  g_hash_table_insert (self->ami.action_counts, g_strdup (action),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (count) + 1));
  if (self->ami.hang)
    return;

  if (g_ascii_strcasecmp (action, "Challenge") == 0)
    {
      const char *auth_type = g_hash_table_lookup (session->action, "authtype");
      g_autofree char *extra = NULL;

      if (!self->ami.challenge)
        respond (session, "Error", "Invalid/unknown command: Challenge", NULL);
      else if (auth_type == NULL || g_ascii_strcasecmp (auth_type, "md5") != 0)
        respond (session, "Error", "Must specify AuthType", NULL);
      else
        {
          g_free (session->challenge);
          session->challenge = g_strdup_printf ("%09u", g_random_int_range (0, 1000000000));
          extra = g_strdup_printf ("Challenge: %s\r\n", session->challenge);
          respond (session, "Success", NULL, extra);
        }
    }
  else if (g_ascii_strcasecmp (action, "Login") == 0)
    take_login (self, session);
  else if (g_ascii_strcasecmp (action, "Logoff") == 0)
    {
      respond (session, "Goodbye", "Thanks for all the fish.", NULL);
      session_finish (session);
    }
  else if (!session->logged_in)
    respond (session, "Error", "Authentication Required", NULL);
  else if (g_ascii_strcasecmp (action, "Ping") == 0)
    {
      g_autofree char *extra = g_strdup_printf ("Ping: Pong\r\nTimestamp: %.6f\r\n",
                                                g_get_real_time () / (double) G_USEC_PER_SEC);

      respond (session, "Success", NULL, extra);
    }
  else
    respond (session, "Error", "Invalid/unknown command", NULL);
}

/* --- Reading */

static void session_read (SimAmiSession *session);

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (SimAmiSession) session = user_data;
  g_autofree char *line = NULL;
  KcSimServer *self;
  gsize length;
  char *colon;

  line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result, &length,
                                               NULL);
  self = session->self;
  if (self == NULL)
    return;
  if (line == NULL)
    {
      session_close (session);
      return;
    }
  if (length > 0 && line[length - 1] == '\r')
    line[--length] = '\0';

  if (length == 0)
    {
      if (g_hash_table_size (session->action) > 0)
        take_action (self, session);
      g_hash_table_remove_all (session->action);
    }
  else if ((colon = strchr (line, ':')) != NULL)
    {
      if (g_hash_table_size (session->action) >= MAX_ACTION_FIELDS)
        {
          session_close (session);
          return;
        }
      *colon = '\0';
      g_hash_table_replace (session->action, g_ascii_strdown (g_strstrip (line), -1),
                            g_strdup (g_strstrip (colon + 1)));
    }

  if (session->self != NULL && !session->close_when_written)
    session_read (session);
}

static void
session_read (SimAmiSession *session)
{
  g_data_input_stream_read_line_async (session->input, G_PRIORITY_DEFAULT, session->cancellable,
                                       on_line, session_ref (session));
}

static const char *
ami_version_text (KcSimAmiVersion version)
{
  switch (version)
    {
    case KC_SIM_AMI_1_8:
      return "1.1";
    case KC_SIM_AMI_18:
      return "7.0.3";
    case KC_SIM_AMI_11:
    default:
      return "1.3";
    }
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  KcSimServer *self = user_data;
  SimAmiSession *session = g_new0 (SimAmiSession, 1);
  g_autofree char *greeting = NULL;

  g_atomic_ref_count_init (&session->ref_count);
  session->self = self;
  session->connection = g_object_ref (connection);
  session->input = g_data_input_stream_new (
    g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  g_data_input_stream_set_newline_type (session->input, G_DATA_STREAM_NEWLINE_TYPE_LF);
  session->cancellable = g_cancellable_new ();
  session->out = g_string_new (NULL);
  session->action = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  /* An event is a small write the client waits for: no Nagle delay */
  g_socket_set_option (g_socket_connection_get_socket (connection), IPPROTO_TCP, TCP_NODELAY,
                       TRUE, NULL);

  g_ptr_array_add (self->ami.sessions, session);
  self->ami.connection_count++;
  greeting = g_strdup_printf ("Asterisk Call Manager/%s\r\n", ami_version_text (self->ami.version));
  session_send (session, greeting);
  session_read (session);
  return TRUE;
}

/* --- Events */

static gboolean
session_wants (SimAmiSession *session,
               const char    *classes)
{
  g_auto (GStrv) event_classes = NULL;

  if (session->classes == NULL)
    return TRUE;
  event_classes = g_strsplit (classes, ",", -1);
  for (guint i = 0; event_classes[i]; i++)
    if (strcmp (event_classes[i], "all") != 0
        && g_strv_contains ((const char *const *) session->classes, event_classes[i]))
      return TRUE;
  return FALSE;
}

void
kc_sim_ami_broadcast (KcSimServer *self,
                      const char  *classes,
                      GString     *event)
{
  if (self->ami.hang)
    return;
  self->ami.event_count++;
  g_string_append (event, "\r\n");
  for (guint i = 0; i < self->ami.sessions->len; i++)
    {
      SimAmiSession *session = g_ptr_array_index (self->ami.sessions, i);

      if (session->logged_in && !session->close_when_written && session_wants (session, classes))
        session_send (session, event->str);
    }
}

/* --- Listening, restarts, faults */

/* A new service each time: a closed listener cannot listen again */
static gboolean
start_service (KcSimServer  *self,
               guint16       port,
               GError      **error)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  g_autoptr (GSocketAddress) effective = NULL;
  g_autoptr (GSocketService) service = g_socket_service_new ();

  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (service), address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &effective, error))
    return FALSE;
  self->ami.port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (service, "incoming", G_CALLBACK (on_incoming), self);
  g_socket_service_start (service);
  self->ami.service = g_steal_pointer (&service);
  return TRUE;
}

static void
stop_service (KcSimServer *self)
{
  if (self->ami.service == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->ami.service, self);
  g_socket_service_stop (self->ami.service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->ami.service));
  g_clear_object (&self->ami.service);
}

gboolean
kc_sim_server_listen_ami (KcSimServer  *self,
                          guint16       port,
                          GError      **error)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), FALSE);
  g_return_val_if_fail (self->ami.port == 0, FALSE);

  return start_service (self, port, error);
}

gboolean
kc_sim_ami_is_listening (KcSimServer *self)
{
  return self->ami.port != 0;
}

static void
close_sessions (KcSimServer *self,
                gboolean     flush)
{
  g_autoptr (GPtrArray) sessions = g_ptr_array_new_full (self->ami.sessions->len,
                                                         (GDestroyNotify) session_unref);

  /* Closing takes a session out of the array being walked */
  for (guint i = 0; i < self->ami.sessions->len; i++)
    g_ptr_array_add (sessions, session_ref (g_ptr_array_index (self->ami.sessions, i)));
  for (guint i = 0; i < sessions->len; i++)
    {
      if (flush)
        session_finish (g_ptr_array_index (sessions, i));
      else
        session_close (g_ptr_array_index (sessions, i));
    }
}

void
kc_sim_ami_go_down (KcSimServer *self)
{
  /* The hang-ups of the calls cut off go out first, as Asterisk sends
   * them before it stops */
  close_sessions (self, TRUE);
  stop_service (self);
}

void
kc_sim_ami_come_up (KcSimServer *self)
{
  g_autoptr (GError) error = NULL;

  if (self->ami.port == 0 || self->ami.service != NULL)
    return;
  if (!start_service (self, self->ami.port, &error))
    g_warning ("The simulator cannot listen for the AMI on port %u again: %s", self->ami.port,
               error->message);
}

void
kc_sim_server_drop_ami (KcSimServer *self)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));

  close_sessions (self, FALSE);
}

JsonNode *
kc_sim_ami_stats (KcSimServer *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  GHashTableIter iter;
  gpointer key, value;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "connections");
  json_builder_add_int_value (builder, self->ami.connection_count);
  json_builder_set_member_name (builder, "sessions");
  json_builder_add_int_value (builder, self->ami.sessions->len);
  json_builder_set_member_name (builder, "logins");
  json_builder_add_int_value (builder, self->ami.login_count);
  json_builder_set_member_name (builder, "events");
  json_builder_add_int_value (builder, self->ami.event_count);
  json_builder_set_member_name (builder, "actions");
  json_builder_begin_object (builder);
  g_hash_table_iter_init (&iter, self->ami.action_counts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      json_builder_set_member_name (builder, key);
      json_builder_add_int_value (builder, GPOINTER_TO_UINT (value));
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* Actions are counted by name in any case: "Ping" and "ping" are one */
static guint
hash_nocase (gconstpointer key)
{
  g_autofree char *down = g_ascii_strdown (key, -1);

  return g_str_hash (down);
}

static gboolean
equal_nocase (gconstpointer a,
              gconstpointer b)
{
  return g_ascii_strcasecmp (a, b) == 0;
}

void
kc_sim_ami_init (KcSimServer *self)
{
  self->ami.sessions = g_ptr_array_new_with_free_func ((GDestroyNotify) session_unref);
  self->ami.version = KC_SIM_AMI_11;
  self->ami.tech = g_strdup ("SIP");
  self->ami.challenge = TRUE;
  self->ami.action_counts = g_hash_table_new_full (hash_nocase, equal_nocase, g_free, NULL);
}

void
kc_sim_ami_clear (KcSimServer *self)
{
  stop_service (self);
  if (self->ami.sessions != NULL)
    close_sessions (self, FALSE);
  g_clear_pointer (&self->ami.sessions, g_ptr_array_unref);
  g_clear_pointer (&self->ami.action_counts, g_hash_table_unref);
  g_clear_pointer (&self->ami.username, g_free);
  g_clear_pointer (&self->ami.secret, g_free);
  g_clear_pointer (&self->ami.tech, g_free);
}

/* --- Settings and counters */

gboolean
kc_sim_ami_version_from_name (const char      *name,
                              KcSimAmiVersion *version)
{
  if (g_strcmp0 (name, "1.8") == 0)
    *version = KC_SIM_AMI_1_8;
  else if (g_strcmp0 (name, "11") == 0)
    *version = KC_SIM_AMI_11;
  else if (g_strcmp0 (name, "18") == 0)
    *version = KC_SIM_AMI_18;
  else
    return FALSE;
  return TRUE;
}

guint16
kc_sim_server_get_ami_port (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  return self->ami.port;
}

void
kc_sim_server_set_ami_version (KcSimServer     *self,
                               KcSimAmiVersion  version)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_return_if_fail (version <= KC_SIM_AMI_18);
  self->ami.version = version;
}

void
kc_sim_server_set_ami_credentials (KcSimServer *self,
                                   const char  *username,
                                   const char  *secret)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_free (self->ami.username);
  g_free (self->ami.secret);
  self->ami.username = g_strdup (username);
  self->ami.secret = g_strdup (secret);
}

void
kc_sim_server_set_ami_channel_tech (KcSimServer *self,
                                    const char  *tech)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_return_if_fail (tech != NULL && *tech != '\0');
  g_free (self->ami.tech);
  self->ami.tech = g_strdup (tech);
}

void
kc_sim_server_set_ami_challenge (KcSimServer *self,
                                 gboolean     offer)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  self->ami.challenge = offer;
}

void
kc_sim_server_set_ami_refuse (KcSimServer *self,
                              gboolean     refuse)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  self->ami.refuse = refuse;
}

void
kc_sim_server_set_ami_hang (KcSimServer *self,
                            gboolean     hang)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  self->ami.hang = hang;
}

guint
kc_sim_server_get_ami_connection_count (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  return self->ami.connection_count;
}

guint
kc_sim_server_get_ami_session_count (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  return self->ami.sessions->len;
}

guint
kc_sim_server_get_ami_login_count (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  return self->ami.login_count;
}

guint
kc_sim_server_get_ami_action_count (KcSimServer *self,
                                    const char  *action)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->ami.action_counts, action));
}

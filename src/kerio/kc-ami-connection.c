/* kc-ami-connection.c: one AMI session: connect, greeting, login, events,
 * pings, logoff
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-ami"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "kc-ami-connection.h"

#define READ_SIZE 8192
/* Of a foreign greeting, the error message shows this many characters */
#define GREETING_SHOWN 60

typedef enum
{
  PHASE_NEW,
  PHASE_CONNECTING,
  PHASE_GREETING,
  PHASE_LOGIN, /* the Challenge, then the Login */
  PHASE_LOGGED_IN,
  PHASE_CLOSED,
} Phase;

typedef enum
{
  ACTION_CHALLENGE,
  ACTION_LOGIN,
  ACTION_PING,
  ACTION_LOGOFF,
} ActionKind;

typedef struct
{
  char       *id;
  ActionKind  kind;
} PendingAction;

struct _KcAmiConnection
{
  GObject             parent_instance;

  char               *host;
  guint16             port;
  char               *address;
  char               *username;
  char               *secret;
  guint               timeout;
  guint               ping_interval;

  Phase               phase;
  char               *version;
  GCancellable       *cancellable; /* the connect and the reads */
  GSocketConnection  *connection;
  KcAmiParser        *parser;
  guint8              buffer[READ_SIZE];

  GString            *out;       /* actions not yet handed to the socket */
  GBytes             *writing;   /* the ones being written */
  gboolean            close_when_written;
  GQueue              pending;   /* PendingAction, oldest first */
  guint               action_serial;

  guint               deadline_source; /* the handshake's, or a ping's answer */
  guint               ping_source;
};

G_DEFINE_FINAL_TYPE (KcAmiConnection, kc_ami_connection, G_TYPE_OBJECT)

enum
{
  SIGNAL_LOGGED_IN,
  SIGNAL_EVENT,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void start_read (KcAmiConnection *self);

static void
pending_action_free (gpointer data)
{
  PendingAction *action = data;

  g_free (action->id);
  g_free (action);
}

/* ------------------------------------------------------------------------ */
/* Ending */

static void
close_socket (KcAmiConnection *self)
{
  if (self->connection == NULL)
    return;
  /* Directly on the socket: a stream with a write in flight refuses to
   * close, and that write is to fail now anyway. */
  g_socket_close (g_socket_connection_get_socket (self->connection), NULL);
  g_clear_object (&self->connection);
}

static void
stop_io (KcAmiConnection *self)
{
  self->phase = PHASE_CLOSED;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->deadline_source, g_source_remove);
  g_clear_handle_id (&self->ping_source, g_source_remove);
}

static void
fail (KcAmiConnection *self,
      GError          *error)
{
  g_autoptr (KcAmiConnection) hold = g_object_ref (self);
  g_autoptr (GError) owned = error;

  if (self->phase == PHASE_CLOSED)
    return;
  g_debug ("AMI session with %s ended: %s", self->address, error->message);
  stop_io (self);
  close_socket (self);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, error);
}

static void
fail_transport (KcAmiConnection *self,
                const char      *format,
                ...) G_GNUC_PRINTF (2, 3);

static void
fail_transport (KcAmiConnection *self,
                const char      *format,
                ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fail (self, g_error_new_literal (KC_KERIO_ERROR, KC_KERIO_ERROR_TRANSPORT, message));
}

/* ------------------------------------------------------------------------ */
/* Writing */

static void flush (KcAmiConnection *self);

static void
on_written (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (KcAmiConnection) self = user_data;
  g_autoptr (GError) error = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  g_clear_pointer (&self->writing, g_bytes_unref);

  if (self->phase != PHASE_CLOSED)
    {
      if (error != NULL)
        fail_transport (self, _("The connection to the AMI at %s failed: %s"), self->address,
                        error->message);
      else
        flush (self);
      return;
    }
  /* Closing after a Logoff: done once it is out, or could not go */
  if (!self->close_when_written)
    return;
  if (error == NULL && self->out->len > 0)
    {
      flush (self);
      return;
    }
  g_clear_handle_id (&self->deadline_source, g_source_remove);
  close_socket (self);
}

static void
flush (KcAmiConnection *self)
{
  const void *data;
  gsize size;

  if (self->writing != NULL || self->out->len == 0 || self->connection == NULL)
    return;
  self->writing = g_string_free_to_bytes (g_steal_pointer (&self->out));
  self->out = g_string_new (NULL);
  data = g_bytes_get_data (self->writing, &size);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (self->connection)),
                                   data, size, G_PRIORITY_DEFAULT, NULL, on_written,
                                   g_object_ref (self));
}

/* pairs: key, value, ..., NULL; the ActionID is added */
static void
send_action (KcAmiConnection   *self,
             ActionKind         kind,
             const char        *action,
             const char *const *pairs)
{
  PendingAction *pending = g_new0 (PendingAction, 1);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) fields = NULL;

  pending->id = g_strdup_printf ("kc-%u", ++self->action_serial);
  pending->kind = kind;
  g_strv_builder_add (builder, "ActionID");
  g_strv_builder_add (builder, pending->id);
  if (pairs != NULL)
    g_strv_builder_addv (builder, (const char **) pairs);
  fields = g_strv_builder_end (builder);

  kc_ami_format_action (self->out, action, (const char *const *) fields);
  g_queue_push_tail (&self->pending, pending);
  flush (self);
}

/* ------------------------------------------------------------------------ */
/* Deadlines and pings */

static gboolean
on_deadline (gpointer user_data)
{
  KcAmiConnection *self = user_data;
  Phase phase = self->phase;

  self->deadline_source = 0;
  switch (phase)
    {
    case PHASE_CONNECTING:
      fail_transport (self, _("Cannot connect to the AMI at %s: no answer within %u s"),
                      self->address, self->timeout);
      break;
    case PHASE_GREETING:
      fail (self, g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_NOT_KERIO,
                               _("%s is not an Asterisk Manager Interface: it sent no greeting "
                                 "within %u s"),
                               self->address, self->timeout));
      break;
    case PHASE_LOGIN:
      fail_transport (self, _("The AMI at %s did not answer the login within %u s"),
                      self->address, self->timeout);
      break;
    case PHASE_LOGGED_IN:
      fail_transport (self, _("The AMI at %s stopped answering: no answer to a ping within %u s"),
                      self->address, self->timeout);
      break;
    case PHASE_NEW:
    case PHASE_CLOSED:
    default:
      /* Closing after a Logoff that could not get out in time */
      close_socket (self);
      break;
    }
  return G_SOURCE_REMOVE;
}

static void
arm_deadline (KcAmiConnection *self)
{
  g_clear_handle_id (&self->deadline_source, g_source_remove);
  self->deadline_source = g_timeout_add_seconds (self->timeout, on_deadline, self);
}

static gboolean
on_ping_due (gpointer user_data)
{
  KcAmiConnection *self = user_data;

  /* One ping at a time: the deadline of the last one still runs */
  if (self->deadline_source == 0)
    {
      send_action (self, ACTION_PING, "Ping", NULL);
      arm_deadline (self);
    }
  return G_SOURCE_CONTINUE;
}

static void
schedule_pings (KcAmiConnection *self)
{
  g_clear_handle_id (&self->ping_source, g_source_remove);
  if (self->phase == PHASE_LOGGED_IN && self->ping_interval > 0)
    self->ping_source = g_timeout_add_seconds (self->ping_interval, on_ping_due, self);
}

/* ------------------------------------------------------------------------ */
/* The login */

static void
send_login (KcAmiConnection *self,
            const char      *challenge)
{
  if (challenge != NULL)
    {
      g_autofree char *key = kc_ami_md5_key (challenge, self->secret);
      const char *pairs[] = { "AuthType", "MD5", "Username", self->username, "Key", key,
                              "Events", "call", NULL };

      send_action (self, ACTION_LOGIN, "Login", pairs);
    }
  else
    {
      const char *pairs[] = { "Username", self->username, "Secret", self->secret,
                              "Events", "call", NULL };

      g_debug ("%s offers no MD5 challenge: plain login", self->address);
      send_action (self, ACTION_LOGIN, "Login", pairs);
    }
}

/* "text" made fit for a message: short, one line */
static char *
shown_text (const char *text)
{
  char *shown = g_utf8_substring (text, 0, MIN (g_utf8_strlen (text, -1), GREETING_SHOWN));

  for (char *p = shown; *p; p++)
    if (g_ascii_iscntrl (*p))
      *p = ' ';
  return shown;
}

static void
take_greeting (KcAmiConnection *self,
               const char      *greeting)
{
  const char *pairs[] = { "AuthType", "MD5", NULL };

  self->version = kc_ami_parse_greeting (greeting);
  if (self->version == NULL)
    {
      g_autofree char *shown = shown_text (greeting);

      fail (self, g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_NOT_KERIO,
                               _("%s is not an Asterisk Manager Interface: it greeted with “%s”"),
                               self->address, shown));
      return;
    }
  /* Sent as they are, a line break would start a field of its own */
  if (!kc_ami_text_is_safe (self->username) || !kc_ami_text_is_safe (self->secret))
    {
      fail (self, g_error_new_literal (KC_KERIO_ERROR, KC_KERIO_ERROR_AUTH,
                                       _("The AMI user name or password contains a line break")));
      return;
    }
  g_debug ("%s greeted: Asterisk Call Manager %s", self->address, self->version);
  self->phase = PHASE_LOGIN;
  arm_deadline (self);
  send_action (self, ACTION_CHALLENGE, "Challenge", pairs);
}

/* ------------------------------------------------------------------------ */
/* Reading */

static PendingAction *
take_pending (KcAmiConnection *self,
              const char      *action_id)
{
  /* Answers come in order; one without an ActionID is the oldest's */
  if (action_id == NULL)
    return g_queue_pop_head (&self->pending);
  for (GList *l = self->pending.head; l != NULL; l = l->next)
    {
      PendingAction *action = l->data;

      if (strcmp (action->id, action_id) == 0)
        {
          g_queue_delete_link (&self->pending, l);
          return action;
        }
    }
  return NULL;
}

static void
take_response (KcAmiConnection *self,
               KcAmiMessage    *message,
               const char      *response)
{
  PendingAction *action = take_pending (self, kc_ami_message_get (message, "ActionID"));
  gboolean success = g_ascii_strcasecmp (response, "Success") == 0;
  const char *text;

  if (action == NULL)
    return;

  switch (action->kind)
    {
    case ACTION_CHALLENGE:
      text = kc_ami_message_get (message, "Challenge");
      if (success && (text == NULL || *text == '\0'))
        fail (self, g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED,
                                 _("The AMI at %s offered an MD5 login without a challenge"),
                                 self->address));
      else if (success)
        send_login (self, text);
      else if (g_ascii_strcasecmp (response, "Error") == 0)
        send_login (self, NULL);
      else
        fail (self, g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED,
                                 _("The AMI at %s answered the login with “%s”"), self->address,
                                 response));
      break;

    case ACTION_LOGIN:
      if (!success)
        {
          text = kc_ami_message_get (message, "Message");
          fail (self, g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_AUTH,
                                   _("The AMI at %s refused the login: %s"), self->address,
                                   text != NULL && *text != '\0' ? text : response));
          break;
        }
      g_debug ("Logged in to the AMI at %s", self->address);
      self->phase = PHASE_LOGGED_IN;
      g_clear_handle_id (&self->deadline_source, g_source_remove);
      schedule_pings (self);
      g_signal_emit (self, signals[SIGNAL_LOGGED_IN], 0);
      break;

    case ACTION_PING:
      if (self->phase == PHASE_LOGGED_IN)
        g_clear_handle_id (&self->deadline_source, g_source_remove);
      break;

    case ACTION_LOGOFF:
    default:
      break;
    }
  pending_action_free (action);
}

static void
take_message (KcAmiConnection *self,
              KcAmiMessage    *message)
{
  const char *response = kc_ami_message_get (message, "Response");

  if (response != NULL)
    take_response (self, message, response);
  else if (self->phase == PHASE_LOGGED_IN && kc_ami_message_get_event (message) != NULL)
    g_signal_emit (self, signals[SIGNAL_EVENT], 0, message);
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (KcAmiConnection) self = user_data;
  g_autoptr (GPtrArray) messages = g_ptr_array_new_with_free_func (
    (GDestroyNotify) kc_ami_message_unref);
  g_autoptr (GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (self->phase == PHASE_CLOSED)
    return;
  if (n < 0)
    {
      fail_transport (self, _("The connection to the AMI at %s failed: %s"), self->address,
                      error->message);
      return;
    }
  if (n == 0)
    {
      fail_transport (self, _("The AMI at %s closed the connection"), self->address);
      return;
    }

  /* What came before a limit was passed still counts */
  if (!kc_ami_parser_feed (self->parser, (const char *) self->buffer, n, messages, &error))
    g_prefix_error (&error, "%s: ", self->address);

  if (self->phase == PHASE_GREETING && kc_ami_parser_get_greeting (self->parser) != NULL)
    take_greeting (self, kc_ami_parser_get_greeting (self->parser));
  for (guint i = 0; i < messages->len && self->phase != PHASE_CLOSED; i++)
    take_message (self, g_ptr_array_index (messages, i));

  if (error != NULL)
    fail (self, g_steal_pointer (&error));
  else if (self->phase != PHASE_CLOSED)
    start_read (self);
}

static void
start_read (KcAmiConnection *self)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (self->connection)),
                             self->buffer, sizeof self->buffer, G_PRIORITY_DEFAULT,
                             self->cancellable, on_read, g_object_ref (self));
}

/* ------------------------------------------------------------------------ */
/* Connecting */

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (KcAmiConnection) self = user_data;
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GError) error = NULL;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (self->phase == PHASE_CLOSED)
    {
      if (connection != NULL)
        g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return;
    }
  if (connection == NULL)
    {
      fail_transport (self, _("Cannot connect to the AMI at %s: %s"), self->address,
                      error->message);
      return;
    }
  g_debug ("Connected to the AMI at %s", self->address);
  self->connection = g_steal_pointer (&connection);
  self->phase = PHASE_GREETING;
  arm_deadline (self);
  start_read (self);
}

void
kc_ami_connection_open (KcAmiConnection *self)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnectable) address = NULL;

  g_return_if_fail (KC_IS_AMI_CONNECTION (self));
  g_return_if_fail (self->phase == PHASE_NEW);

  address = g_network_address_new (self->host, self->port);
  self->phase = PHASE_CONNECTING;
  arm_deadline (self);
  g_socket_client_connect_async (client, address, self->cancellable, on_connected,
                                 g_object_ref (self));
}

void
kc_ami_connection_close (KcAmiConnection *self,
                         gboolean         logoff)
{
  g_return_if_fail (KC_IS_AMI_CONNECTION (self));

  if (self->phase == PHASE_CLOSED)
    return;
  if (!logoff || self->phase != PHASE_LOGGED_IN)
    {
      stop_io (self);
      close_socket (self);
      return;
    }

  g_debug ("Logging off the AMI at %s", self->address);
  send_action (self, ACTION_LOGOFF, "Logoff", NULL);
  stop_io (self);
  self->close_when_written = TRUE;
  /* The deadline's source holds the object until the Logoff is out */
  self->deadline_source = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, self->timeout,
                                                      on_deadline, g_object_ref (self),
                                                      g_object_unref);
}

/* ------------------------------------------------------------------------ */
/* The object */

static void
kc_ami_connection_finalize (GObject *object)
{
  KcAmiConnection *self = KC_AMI_CONNECTION (object);

  g_clear_handle_id (&self->deadline_source, g_source_remove);
  g_clear_handle_id (&self->ping_source, g_source_remove);
  close_socket (self);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->parser, kc_ami_parser_free);
  g_string_free (self->out, TRUE);
  g_clear_pointer (&self->writing, g_bytes_unref);
  g_queue_clear_full (&self->pending, pending_action_free);
  g_free (self->host);
  g_free (self->address);
  g_free (self->username);
  g_free (self->secret);
  g_free (self->version);

  G_OBJECT_CLASS (kc_ami_connection_parent_class)->finalize (object);
}

static void
kc_ami_connection_class_init (KcAmiConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kc_ami_connection_finalize;

  signals[SIGNAL_LOGGED_IN] = g_signal_new ("logged-in", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                            G_TYPE_NONE, 0);
  signals[SIGNAL_EVENT] = g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1,
                                        KC_TYPE_AMI_MESSAGE | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                         G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
kc_ami_connection_init (KcAmiConnection *self)
{
  self->cancellable = g_cancellable_new ();
  self->parser = kc_ami_parser_new ();
  self->out = g_string_new (NULL);
  g_queue_init (&self->pending);
}

KcAmiConnection *
kc_ami_connection_new (const char *host,
                       guint16     port,
                       const char *username,
                       const char *secret,
                       guint       timeout)
{
  KcAmiConnection *self;

  g_return_val_if_fail (host != NULL && *host != '\0', NULL);
  g_return_val_if_fail (timeout > 0, NULL);

  self = g_object_new (KC_TYPE_AMI_CONNECTION, NULL);
  self->host = g_strdup (host);
  self->port = port;
  self->address = strchr (host, ':') != NULL ? g_strdup_printf ("[%s]:%u", host, port)
                                             : g_strdup_printf ("%s:%u", host, port);
  self->username = g_strdup (username != NULL ? username : "");
  self->secret = g_strdup (secret != NULL ? secret : "");
  self->timeout = timeout;
  return self;
}

void
kc_ami_connection_set_ping_interval (KcAmiConnection *self,
                                     guint            seconds)
{
  g_return_if_fail (KC_IS_AMI_CONNECTION (self));

  if (self->ping_interval == seconds)
    return;
  self->ping_interval = seconds;
  schedule_pings (self);
}

const char *
kc_ami_connection_get_version (KcAmiConnection *self)
{
  g_return_val_if_fail (KC_IS_AMI_CONNECTION (self), NULL);

  return self->version;
}

const char *
kc_ami_connection_get_address (KcAmiConnection *self)
{
  g_return_val_if_fail (KC_IS_AMI_CONNECTION (self), NULL);

  return self->address;
}

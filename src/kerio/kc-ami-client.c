/* kc-ami-client.c: the AMI session kept up: state, reconnects, the test
 *
 * The wire is KcAmiConnection's business (one per session); this object
 * decides when to open one and what its end means.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-ami"

#include "config.h"

#include "kc-ami-client.h"
#include "kc-ami-connection.h"

struct _KcAmiClient
{
  GObject          parent_instance;

  char            *host;
  guint16          port;
  char            *username;
  char            *secret;
  guint            ping_interval;
  guint            timeout;

  KcAmiState       state;
  GError          *error;
  char            *version;

  gboolean         running;
  KcAmiConnection *connection;
  gint64           logged_in_at; /* monotonic; 0: the session is not logged in */
  gint64           refused_at;   /* monotonic, of the last refusal */
  guint            retry_source;
  guint            backoff;      /* seconds before the next try after a drop */
};

G_DEFINE_FINAL_TYPE (KcAmiClient, kc_ami_client, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (KcAmiState, kc_ami_state,
                    G_DEFINE_ENUM_VALUE (KC_AMI_STATE_DISCONNECTED, "disconnected"),
                    G_DEFINE_ENUM_VALUE (KC_AMI_STATE_CONNECTING, "connecting"),
                    G_DEFINE_ENUM_VALUE (KC_AMI_STATE_CONNECTED, "connected"),
                    G_DEFINE_ENUM_VALUE (KC_AMI_STATE_REFUSED, "refused"))

enum
{
  PROP_0,
  PROP_HOST,
  PROP_PORT,
  PROP_USERNAME,
  PROP_PING_INTERVAL,
  PROP_TIMEOUT,
  PROP_STATE,
  PROP_LAST_ERROR,
  PROP_VERSION,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

enum
{
  SIGNAL_EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------------ */
/* State */

static void
set_state (KcAmiClient *self,
           KcAmiState   state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
}

/* Takes `error` (NULL clears) */
static void
set_error (KcAmiClient *self,
           GError      *error)
{
  if (self->error == NULL && error == NULL)
    return;
  g_clear_error (&self->error);
  self->error = error;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LAST_ERROR]);
}

static void
set_version (KcAmiClient *self,
             const char  *version)
{
  if (g_strcmp0 (self->version, version) == 0)
    return;
  g_free (self->version);
  self->version = g_strdup (version);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_VERSION]);
}

/* ------------------------------------------------------------------------ */
/* The session */

static void connect_now (KcAmiClient *self);

static void
drop_connection (KcAmiClient *self,
                 gboolean     logoff)
{
  if (self->connection == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->connection, self);
  kc_ami_connection_close (self->connection, logoff);
  g_clear_object (&self->connection);
  self->logged_in_at = 0;
}

static gboolean
on_retry (gpointer user_data)
{
  KcAmiClient *self = user_data;

  self->retry_source = 0;
  connect_now (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (KcAmiClient *self,
                gint64       delay_ms)
{
  g_clear_handle_id (&self->retry_source, g_source_remove);
  self->retry_source = g_timeout_add ((guint) MAX (delay_ms, 0), on_retry, self);
}

static void
on_logged_in (KcAmiConnection *connection,
              KcAmiClient     *self)
{
  self->logged_in_at = g_get_monotonic_time ();
  set_version (self, kc_ami_connection_get_version (connection));
  set_error (self, NULL);
  set_state (self, KC_AMI_STATE_CONNECTED);
}

static void
on_event (KcAmiConnection *connection,
          KcAmiMessage    *event,
          KcAmiClient     *self)
{
  g_signal_emit (self, signals[SIGNAL_EVENT], 0, event);
}

static void
on_closed (KcAmiConnection *connection,
           const GError    *error,
           KcAmiClient     *self)
{
  gint64 now = g_get_monotonic_time ();
  gboolean stable = self->logged_in_at != 0
                    && now - self->logged_in_at >= KC_AMI_STABLE_SESSION * G_USEC_PER_SEC;

  if (kc_ami_connection_get_version (connection) != NULL)
    set_version (self, kc_ami_connection_get_version (connection));
  drop_connection (self, FALSE);
  set_error (self, g_error_copy (error));

  if (g_error_matches (error, KC_KERIO_ERROR, KC_KERIO_ERROR_AUTH))
    {
      g_message ("%s", error->message);
      self->refused_at = now;
      schedule_retry (self, KC_AMI_LOGIN_RETRY_DELAY * 1000);
      set_state (self, KC_AMI_STATE_REFUSED);
      return;
    }

  if (stable)
    self->backoff = KC_AMI_RECONNECT_MIN;
  g_message ("%s; connecting again in %u s", error->message, self->backoff);
  schedule_retry (self, self->backoff * 1000);
  self->backoff = MIN (self->backoff * 2, KC_AMI_RECONNECT_MAX);
  set_state (self, KC_AMI_STATE_DISCONNECTED);
}

static void
connect_now (KcAmiClient *self)
{
  g_clear_handle_id (&self->retry_source, g_source_remove);
  drop_connection (self, TRUE);

  self->connection = kc_ami_connection_new (self->host, self->port, self->username, self->secret,
                                            self->timeout);
  kc_ami_connection_set_ping_interval (self->connection, self->ping_interval);
  g_signal_connect (self->connection, "logged-in", G_CALLBACK (on_logged_in), self);
  g_signal_connect (self->connection, "event", G_CALLBACK (on_event), self);
  g_signal_connect (self->connection, "closed", G_CALLBACK (on_closed), self);
  set_state (self, KC_AMI_STATE_CONNECTING);
  kc_ami_connection_open (self->connection);
}

void
kc_ami_client_start (KcAmiClient *self)
{
  gint64 since_refused;

  g_return_if_fail (KC_IS_AMI_CLIENT (self));

  if (self->running)
    return;
  self->running = TRUE;
  self->backoff = KC_AMI_RECONNECT_MIN;

  /* Stopping and starting again is no way round the pause after a
   * refusal: only new credentials are. */
  since_refused = g_get_monotonic_time () - self->refused_at;
  if (self->state == KC_AMI_STATE_REFUSED
      && since_refused < (gint64) KC_AMI_LOGIN_RETRY_DELAY * G_USEC_PER_SEC)
    schedule_retry (self, KC_AMI_LOGIN_RETRY_DELAY * 1000 - since_refused / 1000);
  else
    connect_now (self);
}

void
kc_ami_client_stop (KcAmiClient *self)
{
  g_return_if_fail (KC_IS_AMI_CLIENT (self));

  if (!self->running)
    return;
  self->running = FALSE;
  g_clear_handle_id (&self->retry_source, g_source_remove);
  drop_connection (self, TRUE);
  if (self->state != KC_AMI_STATE_REFUSED)
    set_state (self, KC_AMI_STATE_DISCONNECTED);
}

/* ------------------------------------------------------------------------ */
/* The test */

typedef struct
{
  GTask           *task; /* owns this */
  KcAmiConnection *connection;
  GSource         *cancel_source;
} TestData;

static void
test_data_free (TestData *data)
{
  if (data->cancel_source != NULL)
    {
      g_source_destroy (data->cancel_source);
      g_source_unref (data->cancel_source);
    }
  g_signal_handlers_disconnect_by_data (data->connection, data);
  kc_ami_connection_close (data->connection, TRUE);
  g_object_unref (data->connection);
  g_free (data);
}

/* Ends the test once, whichever way comes first: the connection (logged
 * off) and the cancellation's source go with the data. */
static void
test_return (TestData *data,
             char     *version,
             GError   *error)
{
  GTask *task = data->task;

  g_task_set_task_data (task, NULL, NULL);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, version, g_free);
  g_object_unref (task);
}

static void
on_test_logged_in (KcAmiConnection *connection,
                   TestData        *data)
{
  test_return (data, g_strdup (kc_ami_connection_get_version (connection)), NULL);
}

static void
on_test_closed (KcAmiConnection *connection,
                const GError    *error,
                TestData        *data)
{
  test_return (data, NULL, g_error_copy (error));
}

static gboolean
on_test_cancelled (GCancellable *cancellable,
                   gpointer      user_data)
{
  GError *error = NULL;

  g_cancellable_set_error_if_cancelled (cancellable, &error);
  test_return (user_data, NULL, error);
  return G_SOURCE_REMOVE;
}

void
kc_ami_client_test_async (KcAmiClient         *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task;
  TestData *data;

  g_return_if_fail (KC_IS_AMI_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kc_ami_client_test_async);
  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }

  data = g_new0 (TestData, 1);
  data->task = task;
  data->connection = kc_ami_connection_new (self->host, self->port, self->username, self->secret,
                                            self->timeout);
  g_task_set_task_data (task, data, (GDestroyNotify) test_data_free);
  g_signal_connect (data->connection, "logged-in", G_CALLBACK (on_test_logged_in), data);
  g_signal_connect (data->connection, "closed", G_CALLBACK (on_test_closed), data);
  if (cancellable != NULL)
    {
      data->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (data->cancel_source, G_SOURCE_FUNC (on_test_cancelled), data, NULL);
      g_source_attach (data->cancel_source, g_main_context_get_thread_default ());
    }
  kc_ami_connection_open (data->connection);
}

char *
kc_ami_client_test_finish (KcAmiClient   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* The object */

static void
kc_ami_client_dispose (GObject *object)
{
  KcAmiClient *self = KC_AMI_CLIENT (object);

  self->running = FALSE;
  g_clear_handle_id (&self->retry_source, g_source_remove);
  drop_connection (self, TRUE);

  G_OBJECT_CLASS (kc_ami_client_parent_class)->dispose (object);
}

static void
kc_ami_client_finalize (GObject *object)
{
  KcAmiClient *self = KC_AMI_CLIENT (object);

  g_free (self->host);
  g_free (self->username);
  g_free (self->secret);
  g_clear_error (&self->error);
  g_free (self->version);

  G_OBJECT_CLASS (kc_ami_client_parent_class)->finalize (object);
}

static void
kc_ami_client_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  KcAmiClient *self = KC_AMI_CLIENT (object);

  switch (prop_id)
    {
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;
    case PROP_PING_INTERVAL:
      g_value_set_uint (value, self->ping_interval);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_LAST_ERROR:
      g_value_set_string (value, self->error != NULL ? self->error->message : NULL);
      break;
    case PROP_VERSION:
      g_value_set_string (value, self->version);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kc_ami_client_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  KcAmiClient *self = KC_AMI_CLIENT (object);

  switch (prop_id)
    {
    case PROP_HOST:
      self->host = g_value_dup_string (value);
      break;
    case PROP_PORT:
      self->port = (guint16) g_value_get_uint (value);
      if (self->port == 0)
        self->port = KC_AMI_DEFAULT_PORT;
      break;
    case PROP_PING_INTERVAL:
      kc_ami_client_set_ping_interval (self, g_value_get_uint (value));
      break;
    case PROP_TIMEOUT:
      kc_ami_client_set_timeout (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kc_ami_client_class_init (KcAmiClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kc_ami_client_dispose;
  object_class->finalize = kc_ami_client_finalize;
  object_class->get_property = kc_ami_client_get_property;
  object_class->set_property = kc_ami_client_set_property;

  props[PROP_HOST] =
    g_param_spec_string ("host", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  props[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, KC_AMI_DEFAULT_PORT,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  props[PROP_USERNAME] =
    g_param_spec_string ("username", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_PING_INTERVAL] =
    g_param_spec_uint ("ping-interval", NULL, NULL, 1, G_MAXUINT / 1000,
                       KC_AMI_DEFAULT_PING_INTERVAL,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL, 1, G_MAXUINT / 1000, KC_AMI_DEFAULT_TIMEOUT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, KC_TYPE_AMI_STATE, KC_AMI_STATE_DISCONNECTED,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_LAST_ERROR] =
    g_param_spec_string ("last-error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_VERSION] =
    g_param_spec_string ("version", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_EVENT] = g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1,
                                        KC_TYPE_AMI_MESSAGE | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
kc_ami_client_init (KcAmiClient *self)
{
  self->ping_interval = KC_AMI_DEFAULT_PING_INTERVAL;
  self->timeout = KC_AMI_DEFAULT_TIMEOUT;
  self->backoff = KC_AMI_RECONNECT_MIN;
  self->refused_at = G_MININT64 / 2;
}

KcAmiClient *
kc_ami_client_new (const char *host,
                   guint16     port,
                   const char *username,
                   const char *secret)
{
  KcAmiClient *self;

  g_return_val_if_fail (host != NULL && *host != '\0', NULL);

  self = g_object_new (KC_TYPE_AMI_CLIENT, "host", host, "port", (guint) port, NULL);
  self->username = g_strdup (username);
  self->secret = g_strdup (secret);
  return self;
}

const char *
kc_ami_client_get_host (KcAmiClient *self)
{
  g_return_val_if_fail (KC_IS_AMI_CLIENT (self), NULL);

  return self->host;
}

guint16
kc_ami_client_get_port (KcAmiClient *self)
{
  g_return_val_if_fail (KC_IS_AMI_CLIENT (self), 0);

  return self->port;
}

void
kc_ami_client_set_credentials (KcAmiClient *self,
                               const char  *username,
                               const char  *secret)
{
  gboolean changed;

  g_return_if_fail (KC_IS_AMI_CLIENT (self));

  changed = g_strcmp0 (self->username, username) != 0 || g_strcmp0 (self->secret, secret) != 0;
  if (changed)
    {
      g_free (self->username);
      self->username = g_strdup (username);
      g_free (self->secret);
      self->secret = g_strdup (secret);
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_USERNAME]);
    }
  /* A refusal is forgotten even for the same credentials: the
   * administrator may have fixed them on the PBX. */
  self->refused_at = G_MININT64 / 2;
  self->backoff = KC_AMI_RECONNECT_MIN;

  if (!self->running)
    return;
  if (changed || self->state == KC_AMI_STATE_REFUSED || self->state == KC_AMI_STATE_DISCONNECTED)
    connect_now (self);
}

void
kc_ami_client_set_ping_interval (KcAmiClient *self,
                                 guint        seconds)
{
  g_return_if_fail (KC_IS_AMI_CLIENT (self));
  g_return_if_fail (seconds > 0);

  if (self->ping_interval == seconds)
    return;
  self->ping_interval = seconds;
  if (self->connection != NULL)
    kc_ami_connection_set_ping_interval (self->connection, seconds);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_PING_INTERVAL]);
}

void
kc_ami_client_set_timeout (KcAmiClient *self,
                           guint        seconds)
{
  g_return_if_fail (KC_IS_AMI_CLIENT (self));
  g_return_if_fail (seconds > 0);

  if (self->timeout == seconds)
    return;
  self->timeout = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TIMEOUT]);
}

KcAmiState
kc_ami_client_get_state (KcAmiClient *self)
{
  g_return_val_if_fail (KC_IS_AMI_CLIENT (self), KC_AMI_STATE_DISCONNECTED);

  return self->state;
}

const GError *
kc_ami_client_get_error (KcAmiClient *self)
{
  g_return_val_if_fail (KC_IS_AMI_CLIENT (self), NULL);

  return self->error;
}

const char *
kc_ami_client_get_version (KcAmiClient *self)
{
  g_return_val_if_fail (KC_IS_AMI_CLIENT (self), NULL);

  return self->version;
}

/* kc-kerio-client.c: the object, its session and login, any method with
 * one re-login, logout
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-kerio"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "kc-kerio-client-private.h"
#include "kc-kerio-parse.h"

/* Idle keep-alive connections are dropped after this; polls come every
 * second or two, so the one connection stays up. */
#define IDLE_TIMEOUT 60

#define APPLICATION_NAME "Kerio CTI"
#define APPLICATION_VENDOR "Kerio CTI developers"

G_DEFINE_FINAL_TYPE (KcKerioClient, kc_kerio_client, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_ENDPOINT,
  PROP_TIMEOUT,
  PROP_TLS_PIN,
  PROP_PEER_FINGERPRINT,
  PROP_LOGGED_IN,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

/* ------------------------------------------------------------------------ */
/* Session state */

static void
set_token (KcKerioClient *self,
           const char    *token)
{
  if (g_strcmp0 (self->token, token) == 0)
    return;
  g_free (self->token);
  self->token = g_strdup (token);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LOGGED_IN]);
}

/* The PBX's session lives in its cookies as much as in the token; a new
 * login starts from a clean jar. */
void
kc_kerio_client_forget_session (KcKerioClient *self)
{
  SoupCookieJar *jar;
  GSList *cookies;

  set_token (self, NULL);

  jar = SOUP_COOKIE_JAR (soup_session_get_feature (self->session, SOUP_TYPE_COOKIE_JAR));
  cookies = soup_cookie_jar_all_cookies (jar);
  for (GSList *l = cookies; l != NULL; l = l->next)
    soup_cookie_jar_delete_cookie (jar, l->data);
  g_slist_free_full (cookies, (GDestroyNotify) soup_cookie_free);
}

void
kc_kerio_client_set_peer_fingerprint (KcKerioClient *self,
                                      const char    *fingerprint)
{
  if (fingerprint == NULL || g_strcmp0 (self->peer_fingerprint, fingerprint) == 0)
    return;
  g_free (self->peer_fingerprint);
  self->peer_fingerprint = g_strdup (fingerprint);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_PEER_FINGERPRINT]);
}

/* ------------------------------------------------------------------------ */
/* Login, shared by every caller that needs it at the same time */

typedef struct
{
  GTask   *task;
  GSource *cancel_source;
} LoginWaiter;

static void
login_waiter_free (LoginWaiter *waiter)
{
  if (waiter->cancel_source != NULL)
    {
      g_source_destroy (waiter->cancel_source);
      g_source_unref (waiter->cancel_source);
    }
  g_object_unref (waiter->task);
  g_free (waiter);
}

static gboolean
on_login_waiter_cancelled (GCancellable *cancellable,
                           gpointer      user_data)
{
  LoginWaiter *waiter = user_data;
  KcKerioClient *self = g_task_get_source_object (waiter->task);

  /* The shared login goes on for the other callers; only this one leaves. */
  g_ptr_array_remove (self->login_waiters, waiter);
  g_task_return_error_if_cancelled (waiter->task);
  login_waiter_free (waiter);
  return G_SOURCE_REMOVE;
}

static JsonNode *
build_login_params (KcKerioClient *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "userName");
  json_builder_add_string_value (builder, self->username != NULL ? self->username : "");
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, self->password != NULL ? self->password : "");
  json_builder_set_member_name (builder, "application");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, APPLICATION_NAME);
  json_builder_set_member_name (builder, "vendor");
  json_builder_add_string_value (builder, APPLICATION_VENDOR);
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, PACKAGE_VERSION);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void on_login_answered (GObject      *source,
                               GAsyncResult *result,
                               gpointer      user_data);

static void
start_login (KcKerioClient *self)
{
  g_autoptr (JsonNode) params = build_login_params (self);

  g_debug ("Logging in to %s as %s", self->host_port, self->username);
  self->logging_in = TRUE;
  self->login_serial = self->credentials_serial;
  /* Not cancellable: other callers may be waiting for the same login, and a
   * successful one is worth keeping anyway. The I/O timeout bounds it. */
  kc_kerio_rpc_async (self, "Session.login", params, &kc_kerio_rpc_result_node_reader, NULL,
                      on_login_answered, NULL);
}

static void
on_login_answered (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  KcKerioClient *self = KC_KERIO_CLIENT (source);
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) waiters = NULL;
  g_autofree char *token = NULL;

  answer = kc_kerio_rpc_finish (self, result, &error);

  if (self->login_serial != self->credentials_serial)
    {
      /* The credentials changed while this login was on its way: its answer,
       * good or bad, is about the old ones. */
      start_login (self);
      return;
    }
  self->logging_in = FALSE;

  if (answer != NULL)
    {
      JsonObject *object = JSON_NODE_HOLDS_OBJECT (answer) ? json_node_get_object (answer) : NULL;

      token = kc_kerio_json_dup_string (object, "token");
      if (token == NULL || *token == '\0')
        error = g_error_new_literal (KC_KERIO_ERROR, KC_KERIO_ERROR_MALFORMED,
                                     _("The PBX accepted the login but sent no session token"));
    }
  else if (g_error_matches (error, KC_KERIO_ERROR, KC_KERIO_ERROR_RPC)
           || g_error_matches (error, KC_KERIO_ERROR, KC_KERIO_ERROR_SESSION_EXPIRED))
    {
      GError *auth_error = g_error_new (KC_KERIO_ERROR, KC_KERIO_ERROR_AUTH,
                                        _("The user name or password is incorrect. %s"),
                                        error->message);

      g_clear_error (&error);
      error = auth_error;
      g_clear_error (&self->auth_error);
      self->auth_error = g_error_copy (auth_error);
      self->auth_error_time = g_get_monotonic_time ();
    }

  if (error == NULL)
    {
      g_debug ("Logged in to %s", self->host_port);
      g_clear_error (&self->auth_error);
      set_token (self, token);
    }
  else
    g_debug ("Login to %s failed: %s", self->host_port, error->message);

  waiters = g_steal_pointer (&self->login_waiters);
  self->login_waiters = g_ptr_array_new ();
  for (guint i = 0; i < waiters->len; i++)
    {
      LoginWaiter *waiter = g_ptr_array_index (waiters, i);

      if (error != NULL)
        g_task_return_error (waiter->task, g_error_copy (error));
      else
        g_task_return_boolean (waiter->task, TRUE);
      login_waiter_free (waiter);
    }
}

static gboolean
auth_error_is_recent (KcKerioClient *self)
{
  return self->auth_error != NULL
         && g_get_monotonic_time () - self->auth_error_time
                < (gint64) KC_KERIO_LOGIN_RETRY_DELAY * G_USEC_PER_SEC;
}

void
kc_kerio_client_login_async (KcKerioClient       *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  LoginWaiter *waiter;

  g_return_if_fail (KC_IS_KERIO_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kc_kerio_client_login_async);

  if (self->token != NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  /* No retry storm on wrong credentials: asking again within the delay gets
   * the same answer without bothering the PBX. */
  if (auth_error_is_recent (self))
    {
      g_task_return_error (task, g_error_copy (self->auth_error));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  waiter = g_new0 (LoginWaiter, 1);
  waiter->task = g_steal_pointer (&task);
  if (cancellable != NULL)
    {
      waiter->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (waiter->cancel_source, G_SOURCE_FUNC (on_login_waiter_cancelled),
                             waiter, NULL);
      g_source_attach (waiter->cancel_source, g_main_context_get_thread_default ());
    }
  g_ptr_array_add (self->login_waiters, waiter);

  if (!self->logging_in)
    start_login (self);
}

gboolean
kc_kerio_client_login_finish (KcKerioClient  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* Any method, with login and one re-login */

typedef struct
{
  char                   *method;
  JsonNode               *params;
  const KcKerioRpcReader *reader;
  char                   *sent_token;
  gboolean                retried;
} CallData;

static void
call_data_free (CallData *data)
{
  g_free (data->method);
  g_clear_pointer (&data->params, json_node_unref);
  g_free (data->sent_token);
  g_free (data);
}

static void call_step (GTask *task);

static void
on_call_answered (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  KcKerioClient *self = KC_KERIO_CLIENT (source);
  CallData *data = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  gpointer answer;

  answer = kc_kerio_rpc_finish (self, result, &error);
  if (answer != NULL)
    {
      g_task_return_pointer (task, answer, data->reader->free);
      return;
    }

  if (g_error_matches (error, KC_KERIO_ERROR, KC_KERIO_ERROR_SESSION_EXPIRED) && !data->retried)
    {
      g_debug ("%s: session expired, logging in again", data->method);
      data->retried = TRUE;
      /* A concurrent call may already have logged in again; its fresh
       * session stays. */
      if (g_strcmp0 (self->token, data->sent_token) == 0)
        kc_kerio_client_forget_session (self);
      call_step (g_steal_pointer (&task));
      return;
    }
  g_task_return_error (task, g_steal_pointer (&error));
}

static void
call_send (GTask *task)
{
  KcKerioClient *self = g_task_get_source_object (task);
  CallData *data = g_task_get_task_data (task);

  g_free (data->sent_token);
  data->sent_token = g_strdup (self->token);
  kc_kerio_rpc_async (self, data->method, data->params, data->reader,
                      g_task_get_cancellable (task), on_call_answered, task);
}

static void
on_call_logged_in (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;

  if (!kc_kerio_client_login_finish (KC_KERIO_CLIENT (source), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  call_send (g_steal_pointer (&task));
}

static void
call_step (GTask *task)
{
  KcKerioClient *self = g_task_get_source_object (task);

  if (self->token == NULL)
    kc_kerio_client_login_async (self, g_task_get_cancellable (task), on_call_logged_in, task);
  else
    call_send (task);
}

/* A call whose answer the reader turns into what the task returns */
void
kc_kerio_client_call_with_reader_async (KcKerioClient          *self,
                                        const char             *method,
                                        JsonNode               *params,
                                        const KcKerioRpcReader *reader,
                                        GCancellable           *cancellable,
                                        GAsyncReadyCallback     callback,
                                        gpointer                user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  CallData *data = g_new0 (CallData, 1);

  g_task_set_source_tag (task, kc_kerio_client_call_async);
  data->method = g_strdup (method);
  data->params = params != NULL ? json_node_copy (params) : NULL;
  data->reader = reader;
  g_task_set_task_data (task, data, (GDestroyNotify) call_data_free);

  call_step (task);
}

void
kc_kerio_client_call_async (KcKerioClient       *self,
                            const char          *method,
                            JsonNode            *params,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (KC_IS_KERIO_CLIENT (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (params == NULL || JSON_NODE_HOLDS_OBJECT (params));

  kc_kerio_client_call_with_reader_async (self, method, params, &kc_kerio_rpc_result_node_reader,
                                          cancellable, callback, user_data);
}

JsonNode *
kc_kerio_client_call_finish (KcKerioClient  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* Logout */

static void
on_logout_answered (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  KcKerioClient *self = KC_KERIO_CLIENT (source);
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (GError) error = NULL;

  /* Whatever the PBX says, this side is done with the session. */
  answer = kc_kerio_rpc_finish (self, result, &error);
  kc_kerio_client_forget_session (self);
  if (answer == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
kc_kerio_client_logout_async (KcKerioClient       *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KC_IS_KERIO_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kc_kerio_client_logout_async);
  if (self->token == NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  kc_kerio_rpc_async (self, "Session.logout", NULL, &kc_kerio_rpc_result_node_reader, cancellable,
                      on_logout_answered, task);
}

gboolean
kc_kerio_client_logout_finish (KcKerioClient  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* The object */

int
kc_kerio_uri_effective_port (GUri *uri)
{
  int port = g_uri_get_port (uri);

  if (port > 0)
    return port;
  return g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
}

static void
apply_timeout (KcKerioClient *self)
{
  soup_session_set_timeout (self->session, self->timeout);
  soup_session_set_idle_timeout (self->session, MAX (self->timeout, IDLE_TIMEOUT));
}

/* A pin is the whole of the trust: without a certificate database every
 * certificate reaches on_accept_certificate(), where only the pinned one
 * passes. Otherwise a certificate some CA vouches for would get past a
 * pin that says otherwise. Without a pin the session keeps (or gets back)
 * the default database. */
static void
apply_tls_pin (KcKerioClient *self)
{
  g_autoptr (GTlsDatabase) database = NULL;

  if (self->tls_pin == NULL && soup_session_get_tls_database (self->session) != NULL)
    return;

  /* libsoup 3.2 passes a database on to new connections only when it
   * differs from the session's current one, which starts as NULL for "the
   * default, when first needed": NULL is set by way of the default. */
  database = g_tls_backend_get_default_database (g_tls_backend_get_default ());
  soup_session_set_tls_database (self->session, database);
  if (self->tls_pin != NULL)
    soup_session_set_tls_database (self->session, NULL);
}

static void
kc_kerio_client_constructed (GObject *object)
{
  KcKerioClient *self = KC_KERIO_CLIENT (object);
  g_autoptr (SoupCookieJar) jar = soup_cookie_jar_new ();
  int port;

  G_OBJECT_CLASS (kc_kerio_client_parent_class)->constructed (object);

  g_assert (self->endpoint != NULL);
  self->endpoint_text = g_uri_to_string_partial (self->endpoint, G_URI_HIDE_USERINFO);
  port = kc_kerio_uri_effective_port (self->endpoint);
  if (g_uri_get_host (self->endpoint) != NULL && strchr (g_uri_get_host (self->endpoint), ':'))
    self->host_port = g_strdup_printf ("[%s]:%d", g_uri_get_host (self->endpoint), port);
  else
    self->host_port = g_strdup_printf ("%s:%d", g_uri_get_host (self->endpoint), port);

  self->session = soup_session_new_with_options ("user-agent", "Kerio CTI/" PACKAGE_VERSION,
                                                 NULL);
  soup_session_add_feature (self->session, SOUP_SESSION_FEATURE (jar));
  apply_timeout (self);
  if (self->tls_pin != NULL)
    apply_tls_pin (self);
}

static void
kc_kerio_client_dispose (GObject *object)
{
  KcKerioClient *self = KC_KERIO_CLIENT (object);

  g_clear_object (&self->session);

  G_OBJECT_CLASS (kc_kerio_client_parent_class)->dispose (object);
}

static void
kc_kerio_client_finalize (GObject *object)
{
  KcKerioClient *self = KC_KERIO_CLIENT (object);

  g_clear_pointer (&self->endpoint, g_uri_unref);
  g_free (self->endpoint_text);
  g_free (self->host_port);
  g_free (self->username);
  g_free (self->password);
  g_free (self->token);
  g_free (self->tls_pin);
  g_free (self->peer_fingerprint);
  g_ptr_array_unref (self->login_waiters);
  g_clear_error (&self->auth_error);
  g_clear_object (&self->capture);

  G_OBJECT_CLASS (kc_kerio_client_parent_class)->finalize (object);
}

static void
kc_kerio_client_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  KcKerioClient *self = KC_KERIO_CLIENT (object);

  switch (prop_id)
    {
    case PROP_ENDPOINT:
      g_value_set_boxed (value, self->endpoint);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    case PROP_TLS_PIN:
      g_value_set_string (value, self->tls_pin);
      break;
    case PROP_PEER_FINGERPRINT:
      g_value_set_string (value, self->peer_fingerprint);
      break;
    case PROP_LOGGED_IN:
      g_value_set_boolean (value, self->token != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kc_kerio_client_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  KcKerioClient *self = KC_KERIO_CLIENT (object);

  switch (prop_id)
    {
    case PROP_ENDPOINT:
      self->endpoint = g_value_dup_boxed (value);
      break;
    case PROP_TIMEOUT:
      kc_kerio_client_set_timeout (self, g_value_get_uint (value));
      break;
    case PROP_TLS_PIN:
      kc_kerio_client_set_tls_pin (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kc_kerio_client_class_init (KcKerioClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = kc_kerio_client_constructed;
  object_class->dispose = kc_kerio_client_dispose;
  object_class->finalize = kc_kerio_client_finalize;
  object_class->get_property = kc_kerio_client_get_property;
  object_class->set_property = kc_kerio_client_set_property;

  props[PROP_ENDPOINT] =
    g_param_spec_boxed ("endpoint", NULL, NULL, G_TYPE_URI,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  props[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL, 1, G_MAXUINT, KC_KERIO_DEFAULT_TIMEOUT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_TLS_PIN] =
    g_param_spec_string ("tls-pin", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_PEER_FINGERPRINT] =
    g_param_spec_string ("peer-fingerprint", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_LOGGED_IN] =
    g_param_spec_boolean ("logged-in", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
kc_kerio_client_init (KcKerioClient *self)
{
  self->timeout = KC_KERIO_DEFAULT_TIMEOUT;
  self->login_waiters = g_ptr_array_new ();
}

KcKerioClient *
kc_kerio_client_new (GUri       *endpoint,
                     const char *username,
                     const char *password)
{
  KcKerioClient *self;

  g_return_val_if_fail (endpoint != NULL, NULL);

  self = g_object_new (KC_TYPE_KERIO_CLIENT, "endpoint", endpoint, NULL);
  kc_kerio_client_set_credentials (self, username, password);
  return self;
}

GUri *
kc_kerio_client_get_endpoint (KcKerioClient *self)
{
  g_return_val_if_fail (KC_IS_KERIO_CLIENT (self), NULL);

  return self->endpoint;
}

void
kc_kerio_client_set_credentials (KcKerioClient *self,
                                 const char    *username,
                                 const char    *password)
{
  g_return_if_fail (KC_IS_KERIO_CLIENT (self));

  /* New credentials deserve a new try at once. */
  g_clear_error (&self->auth_error);

  if (g_strcmp0 (self->username, username) == 0 && g_strcmp0 (self->password, password) == 0)
    return;

  g_free (self->username);
  self->username = g_strdup (username);
  g_free (self->password);
  self->password = g_strdup (password);
  self->credentials_serial++;
  kc_kerio_client_forget_session (self);
}

void
kc_kerio_client_set_tls_pin (KcKerioClient *self,
                             const char    *pin)
{
  g_return_if_fail (KC_IS_KERIO_CLIENT (self));

  if (g_strcmp0 (self->tls_pin, pin) == 0)
    return;
  g_free (self->tls_pin);
  self->tls_pin = g_strdup (pin);
  if (self->session != NULL)
    apply_tls_pin (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TLS_PIN]);
}

void
kc_kerio_client_set_timeout (KcKerioClient *self,
                             guint          seconds)
{
  g_return_if_fail (KC_IS_KERIO_CLIENT (self));
  g_return_if_fail (seconds > 0);

  if (self->timeout == seconds)
    return;
  self->timeout = seconds;
  if (self->session != NULL)
    apply_timeout (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TIMEOUT]);
}

gboolean
kc_kerio_client_get_server_clock_offset (KcKerioClient *self,
                                         gint64        *seconds)
{
  g_return_val_if_fail (KC_IS_KERIO_CLIENT (self), FALSE);

  if (self->server_clock_known && seconds != NULL)
    *seconds = self->server_clock_offset;
  return self->server_clock_known;
}

const char *
kc_kerio_client_get_peer_fingerprint (KcKerioClient *self)
{
  g_return_val_if_fail (KC_IS_KERIO_CLIENT (self), NULL);

  return self->peer_fingerprint;
}

gboolean
kc_kerio_client_is_logged_in (KcKerioClient *self)
{
  g_return_val_if_fail (KC_IS_KERIO_CLIENT (self), FALSE);

  return self->token != NULL;
}

void
kc_kerio_client_set_capture (KcKerioClient  *self,
                             KcKerioCapture *capture)
{
  g_return_if_fail (KC_IS_KERIO_CLIENT (self));
  g_return_if_fail (capture == NULL || KC_IS_KERIO_CAPTURE (capture));

  g_set_object (&self->capture, capture);
}

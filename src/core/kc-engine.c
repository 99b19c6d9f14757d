/* kc-engine.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-engine"

#include "kc-engine.h"

struct _KcEngine
{
  GObject        parent_instance;

  KcKerioClient *client;
  KcAmiClient   *ami; /* NULL without AMI */
  KcCallTracker *tracker;
  KcSync        *sync;
  KcStore       *store;
  KcFollowUp    *follow_up; /* NULL until asked for */
  KcCallerContext *context;
  double         poll_interval;
  double         sync_interval;
  char          *extension; /* the operator's, NULL when none is set */
};

G_DEFINE_FINAL_TYPE (KcEngine, kc_engine, G_TYPE_OBJECT)

static void
kc_engine_dispose (GObject *object)
{
  KcEngine *self = KC_ENGINE (object);

  if (self->tracker)
    kc_call_tracker_stop (self->tracker);
  if (self->ami)
    kc_ami_client_stop (self->ami);
  if (self->sync)
    kc_sync_stop (self->sync);
  g_clear_object (&self->context);
  g_clear_object (&self->tracker);
  g_clear_object (&self->ami);
  g_clear_object (&self->sync);
  g_clear_object (&self->client);
  g_clear_object (&self->follow_up);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (kc_engine_parent_class)->dispose (object);
}

static void
kc_engine_finalize (GObject *object)
{
  g_free (KC_ENGINE (object)->extension);

  G_OBJECT_CLASS (kc_engine_parent_class)->finalize (object);
}

static void
kc_engine_class_init (KcEngineClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = kc_engine_dispose;
  G_OBJECT_CLASS (klass)->finalize = kc_engine_finalize;
}

static void
kc_engine_init (KcEngine *self)
{
}

/* A call that another extension took (a ring group, a queue) is not this
 * operator's: no row of theirs, as their CDRs will not have it either. */
static gboolean
answered_elsewhere (KcEngine *self,
                    KcCall   *call)
{
  return self->extension != NULL && kc_call_get_answered_by (call) != NULL;
}

static KcRecord *
record_from_call (KcCall *call)
{
  KcRecord *record = kc_record_new ();
  const char *answered_by = kc_call_get_answered_by (call);

  record->call_id = g_strdup (kc_call_get_call_id (call));
  record->direction = kc_call_get_direction (call);
  record->from_number = g_strdup (kc_call_get_from_number (call));
  /* A call to a group is the answering extension's, as its CDR will be */
  record->to_number = g_strdup (answered_by ? answered_by : kc_call_get_to_number (call));
  record->extension = g_strdup (answered_by ? answered_by : kc_call_get_extension (call));
  record->start_time = kc_call_get_start_time (call);
  record->end_time = MAX (kc_call_get_end_time (call), record->start_time);
  record->duration = record->end_time - record->start_time;
  if (kc_call_get_state (call) == KC_CALL_STATE_FINISHED)
    {
      record->status = KC_CALL_STATUS_ANSWERED;
      if (kc_call_get_answer_time (call) > 0)
        record->answered = MAX (record->end_time - kc_call_get_answer_time (call), 0);
    }
  else
    {
      record->status = KC_CALL_STATUS_MISSED;
    }
  record->from_cdr = FALSE;
  return record;
}

/* A finished live call goes into the history at once; its CDR, when the sync
 * brings it, takes the row over (kc_store_upsert_records). A missed call the
 * PBX's CDR later shows answered is rewritten, or removed when another
 * extension answered it. */
static void
on_call_state_changed (KcEngine    *self,
                       KcCall      *call,
                       KcCallState  old_state)
{
  g_autoptr (KcRecord) record = NULL;
  g_autoptr (GError) error = NULL;
  KcCallState state = kc_call_get_state (call);

  if (!kc_call_state_is_final (state))
    return;

  if (kc_call_get_corrected (call))
    {
      if (!answered_elsewhere (self, call))
        record = record_from_call (call);
      if (!kc_store_correct_live_record (self->store, kc_call_get_call_id (call), record, &error))
        g_warning ("Could not correct call %s in the history: %s", kc_call_get_call_id (call),
                   error->message);
      return;
    }

  if (answered_elsewhere (self, call))
    return;
  record = record_from_call (call);
  if (!kc_store_add_live_record (self->store, record, &error))
    g_warning ("Could not write call %s to the history: %s", record->call_id, error->message);
}

/* The names of the PBX's own numbers may be new */
static void
on_directory_changed (KcEngine *self)
{
  kc_caller_context_names_changed (self->context, NULL);
}

KcEngine *
kc_engine_new (const KcConfig *config,
               KcStore        *store)
{
  KcEngine *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->endpoint != NULL, NULL);
  g_return_val_if_fail (KC_IS_STORE (store), NULL);

  self = g_object_new (KC_TYPE_ENGINE, NULL);
  self->store = g_object_ref (store);
  self->poll_interval = config->poll_interval;
  self->sync_interval = config->sync_interval;
  self->extension = config->extension && *config->extension ? g_strdup (config->extension) : NULL;
  self->client = kc_kerio_client_new (config->endpoint, config->username, config->password);
  if (config->tls_pin)
    kc_kerio_client_set_tls_pin (self->client, config->tls_pin);
  if (config->capture)
    {
      g_message ("Capturing the exchanges with the PBX in %s%s",
                 kc_kerio_capture_get_path (config->capture),
                 kc_kerio_capture_get_anonymize (config->capture) ? ", anonymized" : "");
      kc_kerio_client_set_capture (self->client, config->capture);
    }
  self->tracker = kc_call_tracker_new (self->client, config->poll_interval, config->extension,
                                       config->extension_digits);
  self->sync = kc_sync_new (self->client, store, config->sync_interval, config->extension,
                            config->extension_digits);
  if (config->ami_host)
    {
      /* Without a password of its own, the AMI user is taken to have the
       * API's */
      self->ami = kc_ami_client_new (config->ami_host, config->ami_port,
                                     kc_config_get_ami_username (config),
                                     config->ami_password ? config->ami_password
                                                          : config->password);
      kc_call_tracker_set_ami (self->tracker, self->ami);
    }
  g_signal_connect_object (self->tracker, "call-state-changed",
                           G_CALLBACK (on_call_state_changed), self, G_CONNECT_SWAPPED);
  self->context = kc_caller_context_new (store, config->lookup_url, config->crm_url);
  kc_caller_context_watch (self->context, self->tracker);
  g_signal_connect_object (self->sync, "directory-changed", G_CALLBACK (on_directory_changed),
                           self, G_CONNECT_SWAPPED);
  return self;
}

KcKerioClient *
kc_engine_get_client (KcEngine *self)
{
  g_return_val_if_fail (KC_IS_ENGINE (self), NULL);
  return self->client;
}

KcAmiClient *
kc_engine_get_ami (KcEngine *self)
{
  g_return_val_if_fail (KC_IS_ENGINE (self), NULL);
  return self->ami;
}

KcCallTracker *
kc_engine_get_tracker (KcEngine *self)
{
  g_return_val_if_fail (KC_IS_ENGINE (self), NULL);
  return self->tracker;
}

KcSync *
kc_engine_get_sync (KcEngine *self)
{
  g_return_val_if_fail (KC_IS_ENGINE (self), NULL);
  return self->sync;
}

KcStore *
kc_engine_get_store (KcEngine *self)
{
  g_return_val_if_fail (KC_IS_ENGINE (self), NULL);
  return self->store;
}

KcFollowUp *
kc_engine_get_follow_up (KcEngine *self)
{
  g_return_val_if_fail (KC_IS_ENGINE (self), NULL);

  if (self->follow_up == NULL)
    self->follow_up = kc_follow_up_new (self->store, self->extension);
  return self->follow_up;
}

KcCallerContext *
kc_engine_get_caller_context (KcEngine *self)
{
  g_return_val_if_fail (KC_IS_ENGINE (self), NULL);
  return self->context;
}

/* The history waits for the first good poll: while the PBX is unreachable
 * or refuses the login, the poller alone says so, once, and retries with
 * backoff; a sync would only repeat the same error. */
static void
on_connection_state (KcEngine *self)
{
  if (kc_call_tracker_get_connection_state (self->tracker) != KC_CONNECTION_CONNECTED)
    return;
  g_signal_handlers_disconnect_by_func (self->tracker, on_connection_state, self);
  kc_sync_start (self->sync);
}

void
kc_engine_start (KcEngine *self)
{
  g_autofree char *url = NULL;

  g_return_if_fail (KC_IS_ENGINE (self));

  url = g_uri_to_string (kc_kerio_client_get_endpoint (self->client));
  g_message ("Kerio Operator service initialized (%s)", url);
  g_message ("Starting real-time polling every %g seconds", self->poll_interval);
  kc_call_tracker_start (self->tracker);
  if (self->ami)
    {
      g_message ("Instant pop-ups: connecting to the Asterisk Manager Interface at %s:%u",
                 kc_ami_client_get_host (self->ami), kc_ami_client_get_port (self->ami));
      kc_ami_client_start (self->ami);
    }
  g_message ("Starting auto-sync every %g minutes", self->sync_interval);
  g_signal_connect_object (self->tracker, "notify::connection-state",
                           G_CALLBACK (on_connection_state), self, G_CONNECT_SWAPPED);
  on_connection_state (self);
}

static void
logout_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;

  if (!kc_kerio_client_logout_finish (KC_KERIO_CLIENT (source), result, &error))
    g_message ("Logging out of Kerio Operator failed: %s", error->message);
  g_task_return_boolean (task, TRUE);
}

void
kc_engine_shutdown_async (KcEngine            *self,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KC_IS_ENGINE (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, kc_engine_shutdown_async);
  kc_call_tracker_stop (self->tracker);
  if (self->ami)
    kc_ami_client_stop (self->ami);
  kc_sync_stop (self->sync);
  kc_kerio_client_logout_async (self->client, NULL, logout_done, task);
}

void
kc_engine_shutdown_finish (KcEngine     *self,
                           GAsyncResult *result)
{
  g_return_if_fail (g_task_is_valid (result, self));
  g_task_propagate_boolean (G_TASK (result), NULL);
}

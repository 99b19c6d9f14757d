/* kc-probe.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-probe"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "kerio/kc-kerio-parse.h"
#include "kc-call-tracker.h"
#include "kc-probe.h"

/* The Date header has whole seconds, and the answer takes a moment: within
 * this many seconds the clocks agree. */
#define CLOCK_SLACK 2

struct _KcProbe
{
  GObject        parent_instance;

  KcKerioClient *client;
  GPtrArray     *lines; /* the report, NULL-terminated once the run is over */
  GError        *login_error;
  KcProbeCalls  *calls;
  gboolean       calls_ok;
  guint          n_calls;
  gboolean       history_ok;
  gint64         newest_record; /* TIMESTAMP of the newest CDR, -1 when none */
  char          *recording_id;
  KcAmiClient   *ami;           /* NULL when AMI is off */
  double         poll_interval;
  gboolean       ami_ok;
};

G_DEFINE_FINAL_TYPE (KcProbe, kc_probe, G_TYPE_OBJECT)

void
kc_probe_set_ami (KcProbe     *self,
                  KcAmiClient *ami,
                  double       poll_interval)
{
  g_return_if_fail (KC_IS_PROBE (self));
  g_return_if_fail (ami == NULL || KC_IS_AMI_CLIENT (ami));

  g_set_object (&self->ami, ami);
  self->poll_interval = poll_interval;
}

/* ------------------------------------------------------------------------ */
/* The shape of live calls */

static JsonNode *
get_member_ignoring_case (JsonObject *object,
                          const char *name)
{
  JsonObjectIter iter;
  const char *member;
  JsonNode *value;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &member, &value))
    if (g_ascii_strcasecmp (member, name) == 0)
      return value;
  return NULL;
}

/* A STATUS value as it came: "0" in quotes when a string, 0 bare when a
 * number, so that the report tells them apart */
static char *
describe_value (JsonNode *value)
{
  if (JSON_NODE_HOLDS_OBJECT (value))
    return g_strdup ("{…}");
  if (JSON_NODE_HOLDS_ARRAY (value))
    return g_strdup ("[…]");
  if (JSON_NODE_HOLDS_NULL (value))
    return g_strdup ("null");
  switch (json_node_get_value_type (value))
    {
    case G_TYPE_STRING:
      return g_strdup_printf ("\"%s\"", json_node_get_string (value));
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (value));
    case G_TYPE_BOOLEAN:
      return g_strdup (json_node_get_boolean (value) ? "true" : "false");
    default:
      return g_strdup_printf ("%g", json_node_get_double (value));
    }
}

static gboolean
all_statuses_are (GPtrArray          *statuses,
                  const char *const  *allowed)
{
  if (statuses->len == 0)
    return FALSE;
  for (guint i = 0; i < statuses->len; i++)
    if (!g_strv_contains (allowed, g_ptr_array_index (statuses, i)))
      return FALSE;
  return TRUE;
}

/* A word in quotes: "Ringing", not "1" */
static gboolean
all_statuses_are_words (GPtrArray *statuses)
{
  if (statuses->len == 0)
    return FALSE;
  for (guint i = 0; i < statuses->len; i++)
    {
      const char *status = g_ptr_array_index (statuses, i);

      if (status[0] != '"' || !g_ascii_isalpha (status[1]))
        return FALSE;
    }
  return TRUE;
}

static KcProbeDialect
guess_dialect (const KcProbeCalls *calls)
{
  static const char *const field_statuses[] = { "\"0\"", "\"1\"", NULL };

  if (g_strcmp0 (calls->id_member, "id") == 0 && all_statuses_are (calls->statuses, field_statuses))
    return KC_PROBE_DIALECT_FIELD;
  if (g_strcmp0 (calls->id_member, "ID") == 0
      && (calls->answered_duration || all_statuses_are_words (calls->statuses)))
    return KC_PROBE_DIALECT_SDK;
  return KC_PROBE_DIALECT_UNKNOWN;
}

KcProbeCalls *
kc_probe_calls_read (JsonNode *result)
{
  g_autoptr (KcProbeCalls) calls = NULL;
  JsonNode *rows;
  JsonArray *array;

  g_return_val_if_fail (result != NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (result))
    return NULL;
  rows = get_member_ignoring_case (json_node_get_object (result), "calls");
  if (rows == NULL || !JSON_NODE_HOLDS_ARRAY (rows))
    return NULL;

  calls = g_new0 (KcProbeCalls, 1);
  calls->statuses = g_ptr_array_new_with_free_func (g_free);
  array = json_node_get_array (rows);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *row = json_array_get_element (array, i);
      JsonObjectIter iter;
      const char *member;
      JsonNode *value;

      calls->n_rows++;
      if (!JSON_NODE_HOLDS_OBJECT (row))
        continue;
      json_object_iter_init (&iter, json_node_get_object (row));
      while (json_object_iter_next (&iter, &member, &value))
        {
          if (g_ascii_strcasecmp (member, "id") == 0 && calls->id_member == NULL)
            calls->id_member = g_strdup (member);
          else if (g_ascii_strcasecmp (member, "status") == 0)
            {
              g_autofree char *status = describe_value (value);

              if (!g_ptr_array_find_with_equal_func (calls->statuses, status, g_str_equal, NULL))
                g_ptr_array_add (calls->statuses, g_steal_pointer (&status));
            }
          else if (g_ascii_strcasecmp (member, "answered_duration") == 0)
            calls->answered_duration = TRUE;
        }
    }
  calls->dialect = guess_dialect (calls);
  return g_steal_pointer (&calls);
}

void
kc_probe_calls_free (KcProbeCalls *calls)
{
  if (calls == NULL)
    return;
  g_free (calls->id_member);
  g_ptr_array_unref (calls->statuses);
  g_free (calls);
}

/* ------------------------------------------------------------------------ */
/* The report */

G_GNUC_PRINTF (2, 3)
static void
say (KcProbe    *self,
     const char *format,
     ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (self->lines, g_strdup_vprintf (format, args));
  va_end (args);
}

static void
say_rows (KcProbe    *self,
          const char *method,
          guint       n_rows)
{
  /* TRANSLATORS: a JSON-RPC method name, then how many rows it gave */
  say (self, g_dngettext (GETTEXT_PACKAGE, "%s: OK, %u row", "%s: OK, %u rows", n_rows), method,
       n_rows);
}

/* A refusal is the PBX's own answer (its words are in the message); a
 * failure is everything that kept an answer from coming or being read. */
static void
say_failure (KcProbe      *self,
             const char   *method,
             const GError *error)
{
  if (g_error_matches (error, KC_KERIO_ERROR, KC_KERIO_ERROR_UNKNOWN_METHOD))
    /* TRANSLATORS: a JSON-RPC method name, then the PBX's message */
    say (self, _("%s: method unknown to this PBX: %s"), method, error->message);
  else if (g_error_matches (error, KC_KERIO_ERROR, KC_KERIO_ERROR_AUTH)
           || g_error_matches (error, KC_KERIO_ERROR, KC_KERIO_ERROR_RPC)
           || g_error_matches (error, KC_KERIO_ERROR, KC_KERIO_ERROR_SESSION_EXPIRED))
    /* TRANSLATORS: a JSON-RPC method name, then the PBX's message */
    say (self, _("%s: refused by the PBX: %s"), method, error->message);
  else
    /* TRANSLATORS: a JSON-RPC method name, then why */
    say (self, _("%s: failed: %s"), method, error->message);
}

static void
say_calls_shape (KcProbe *self)
{
  g_autoptr (GString) statuses = g_string_new (NULL);
  const KcProbeCalls *calls = self->calls;

  if (calls->n_rows == 0)
    {
      say (self, _("Live calls: no calls right now, so their shape is unknown; probe again "
                   "during a call"));
      return;
    }

  if (calls->id_member != NULL)
    say (self, _("Call identifier member: %s"), calls->id_member);
  else
    say (self, _("Call identifier member: none"));
  for (guint i = 0; i < calls->statuses->len; i++)
    g_string_append_printf (statuses, "%s%s", i > 0 ? ", " : "",
                            (const char *) g_ptr_array_index (calls->statuses, i));
  if (statuses->len > 0)
    say (self, _("STATUS values seen: %s"), statuses->str);
  else
    say (self, _("STATUS values seen: none"));
  if (calls->answered_duration)
    say (self, _("ANSWERED_DURATION: present"));
  else
    say (self, _("ANSWERED_DURATION: absent"));

  switch (calls->dialect)
    {
    case KC_PROBE_DIALECT_FIELD:
      say (self, _("Dialect: field (lower-case id, STATUS \"0\"/\"1\"), as public integrations "
                   "read real appliances"));
      break;
    case KC_PROBE_DIALECT_SDK:
      say (self, _("Dialect: sdk (ID, STATUS words), as Kerio’s PHP SDK sample implies"));
      break;
    case KC_PROBE_DIALECT_UNKNOWN:
    default:
      say (self, _("Dialect: not one on record; please send a capture of a test call"));
      break;
    }
}

static void
say_clock (KcProbe *self)
{
  gint64 offset;

  if (kc_kerio_client_get_server_clock_offset (self->client, &offset))
    {
      if (ABS (offset) <= CLOCK_SLACK)
        say (self, _("PBX clock: in step with ours (HTTP Date header)"));
      else if (offset > 0)
        say (self, _("PBX clock: %lld s ahead of ours (HTTP Date header)"), (long long) offset);
      else
        say (self, _("PBX clock: %lld s behind ours (HTTP Date header)"), (long long) -offset);
    }
  else if (self->newest_record >= 0)
    {
      gint64 age = g_get_real_time () / G_USEC_PER_SEC - self->newest_record;

      /* Without a Date header only a bound: a record is never from the future */
      if (age >= 0)
        say (self, _("PBX clock: no Date header; its newest call record is dated %lld s before "
                     "our time"),
             (long long) age);
      else
        say (self, _("PBX clock: no Date header; its newest call record is dated %lld s after "
                     "our time, so its clock is ahead"),
             (long long) -age);
    }
  else
    say (self, _("PBX clock: unknown (no Date header, no call record)"));
}

/* ------------------------------------------------------------------------ */
/* The steps, one after the other */

static gboolean
stop_if_cancelled (GTask        *task,
                   const GError *error)
{
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  g_task_return_error (task, g_error_copy (error));
  g_object_unref (task);
  return TRUE;
}

/* Where live calls will come from */
static void
say_live_source (KcProbe *self)
{
  if (self->ami_ok)
    say (self, "%s", _("Live calls: from AMI, at once; Status.getCalls every 15 s to cross-check"));
  else if (self->ami != NULL)
    say (self, _("Live calls: a poll every %g s (AMI does not answer; instant pop-ups are off)"),
         self->poll_interval);
  else
    say (self, _("Live calls: a poll every %g s (set up AMI for instant pop-ups)"),
         self->poll_interval);
}

static void
finish (GTask *task)
{
  KcProbe *self = g_task_get_source_object (task);

  if (self->calls_ok)
    say_calls_shape (self);
  say_clock (self);
  if (self->calls_ok)
    say_live_source (self);
  g_ptr_array_add (self->lines, NULL);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static JsonNode *
one_row_params (const char *time_field)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "query");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "orderBy");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "columnName");
  json_builder_add_string_value (builder, time_field);
  json_builder_set_member_name (builder, "direction");
  json_builder_add_string_value (builder, "Desc");
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "start");
  json_builder_add_int_value (builder, 0);
  json_builder_set_member_name (builder, "limit");
  json_builder_add_int_value (builder, 1);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
on_ami_tested (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  KcProbe *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;
  g_autofree char *version = kc_ami_client_test_finish (KC_AMI_CLIENT (source), result, &error);

  if (version == NULL)
    {
      if (stop_if_cancelled (task, error))
        return;
      /* TRANSLATORS: why the Asterisk Manager Interface did not let us in */
      say (self, _("AMI (%s:%u): %s"), kc_ami_client_get_host (self->ami),
           kc_ami_client_get_port (self->ami), error->message);
    }
  else
    {
      self->ami_ok = TRUE;
      /* TRANSLATORS: the host and port, then the version of the Asterisk
       * Manager Interface */
      say (self, _("AMI (%s:%u): OK, version %s"), kc_ami_client_get_host (self->ami),
           kc_ami_client_get_port (self->ami), version);
    }
  finish (task);
}

static void
on_logged_out (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  KcProbe *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;

  if (!kc_kerio_client_logout_finish (self->client, result, &error))
    {
      if (stop_if_cancelled (task, error))
        return;
      say_failure (self, "Session.logout", error);
    }
  else
    say (self, _("%s: OK"), "Session.logout");
  if (self->ami == NULL)
    {
      finish (task);
      return;
    }
  kc_ami_client_test_async (self->ami, g_task_get_cancellable (task), on_ami_tested, task);
}

static void
log_out (GTask *task)
{
  KcProbe *self = g_task_get_source_object (task);

  kc_kerio_client_logout_async (self->client, g_task_get_cancellable (task), on_logged_out, task);
}

static void
on_download_address (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  KcProbe *self = g_task_get_source_object (task);
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (KcFileDownload) download = NULL;
  g_autoptr (GError) error = NULL;

  answer = kc_kerio_client_call_finish (self->client, result, &error);
  if (answer != NULL)
    download = kc_kerio_parse_file_download (answer, &error);
  if (download == NULL)
    {
      if (stop_if_cancelled (task, error))
        return;
      say_failure (self, "Recordings.downloadAudioContent", error);
    }
  else
    /* TRANSLATORS: a JSON-RPC method name */
    say (self, _("%s: OK, it gave a download address (nothing was downloaded)"),
         "Recordings.downloadAudioContent");
  log_out (task);
}

static void
ask_download_address (GTask *task)
{
  KcProbe *self = g_task_get_source_object (task);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) params = NULL;

  if (self->recording_id == NULL)
    {
      /* TRANSLATORS: a JSON-RPC method name */
      say (self, _("%s: not tried, there is no recording"), "Recordings.downloadAudioContent");
      log_out (task);
      return;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, self->recording_id);
  json_builder_set_member_name (builder, "transcode");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_end_object (builder);
  params = json_builder_get_root (builder);
  kc_kerio_client_call_async (self->client, "Recordings.downloadAudioContent", params,
                              g_task_get_cancellable (task), on_download_address, task);
}

static void
on_recordings (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  KcProbe *self = g_task_get_source_object (task);
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GError) error = NULL;
  gint64 total;

  answer = kc_kerio_client_call_finish (self->client, result, &error);
  if (answer != NULL)
    rows = kc_kerio_parse_recordings (answer, &total, &error);
  if (rows == NULL)
    {
      if (stop_if_cancelled (task, error))
        return;
      say_failure (self, "Recordings.get", error);
    }
  else
    {
      say_rows (self, "Recordings.get", rows->len);
      if (rows->len > 0)
        self->recording_id = g_strdup (((KcRecording *) g_ptr_array_index (rows, 0))->id);
    }
  ask_download_address (task);
}

static void
on_history (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  KcProbe *self = g_task_get_source_object (task);
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (JsonNode) params = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GError) error = NULL;
  gint64 total;

  answer = kc_kerio_client_call_finish (self->client, result, &error);
  if (answer != NULL)
    rows = kc_kerio_parse_cdrs (answer, &total, &error);
  if (rows == NULL)
    {
      if (stop_if_cancelled (task, error))
        return;
      say_failure (self, "CallHistory.get", error);
    }
  else
    {
      self->history_ok = TRUE;
      say_rows (self, "CallHistory.get", rows->len);
      for (guint i = 0; i < rows->len; i++)
        self->newest_record = MAX (self->newest_record,
                                   ((KcCdr *) g_ptr_array_index (rows, i))->timestamp);
    }

  params = one_row_params ("STARTED");
  kc_kerio_client_call_async (self->client, "Recordings.get", params,
                              g_task_get_cancellable (task), on_recordings, task);
}

/* Calls, not rows: real appliances list a row per channel of a call, and
 * the tracker is what tells which rows are one call */
static guint
count_calls (KcProbe   *self,
             GPtrArray *rows)
{
  g_autoptr (KcCallTracker) tracker = kc_call_tracker_new (self->client, 1, NULL, 4);

  kc_call_tracker_apply_snapshot (tracker, rows, g_get_real_time () / G_USEC_PER_SEC);
  return g_list_model_get_n_items (kc_call_tracker_get_calls (tracker));
}

static void
on_calls (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  GTask *task = user_data;
  KcProbe *self = g_task_get_source_object (task);
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (JsonNode) params = NULL;
  g_autoptr (GPtrArray) calls = NULL;
  g_autoptr (GError) error = NULL;

  /* The rows as the app reads them, and as they came */
  answer = kc_kerio_client_call_finish (self->client, result, &error);
  if (answer != NULL)
    calls = kc_kerio_parse_active_calls (answer, &error);
  if (calls == NULL)
    {
      if (stop_if_cancelled (task, error))
        return;
      say_failure (self, "Status.getCalls", error);
    }
  else
    {
      self->calls = kc_probe_calls_read (answer);
      self->calls_ok = self->calls != NULL;
      self->n_calls = count_calls (self, calls);
      say_rows (self, "Status.getCalls", calls->len);
    }

  params = one_row_params ("TIMESTAMP");
  kc_kerio_client_call_async (self->client, "CallHistory.get", params,
                              g_task_get_cancellable (task), on_history, task);
}

static void
on_logged_in (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  KcProbe *self = g_task_get_source_object (task);
  g_autoptr (JsonNode) params = NULL;
  g_autoptr (GError) error = NULL;

  if (!kc_kerio_client_login_finish (self->client, result, &error))
    {
      if (stop_if_cancelled (task, error))
        return;
      say_failure (self, "Session.login", error);
      self->login_error = g_steal_pointer (&error);
      finish (task);
      return;
    }
  say (self, _("%s: OK"), "Session.login");

  params = kc_kerio_active_calls_params ();
  kc_kerio_client_call_async (self->client, "Status.getCalls", params,
                              g_task_get_cancellable (task), on_calls, task);
}

void
kc_probe_run_async (KcProbe             *self,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KC_IS_PROBE (self));
  g_return_if_fail (self->lines->len == 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kc_probe_run_async);
  kc_kerio_client_login_async (self->client, cancellable, on_logged_in, task);
}

gboolean
kc_probe_run_finish (KcProbe       *self,
                     GAsyncResult  *result,
                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* The object */

static void
kc_probe_finalize (GObject *object)
{
  KcProbe *self = KC_PROBE (object);

  g_clear_object (&self->client);
  g_clear_object (&self->ami);
  g_ptr_array_unref (self->lines);
  g_clear_error (&self->login_error);
  kc_probe_calls_free (self->calls);
  g_free (self->recording_id);

  G_OBJECT_CLASS (kc_probe_parent_class)->finalize (object);
}

static void
kc_probe_class_init (KcProbeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kc_probe_finalize;
}

static void
kc_probe_init (KcProbe *self)
{
  self->lines = g_ptr_array_new_with_free_func (g_free);
  self->newest_record = -1;
  self->poll_interval = 2;
}

KcProbe *
kc_probe_new (KcKerioClient *client)
{
  KcProbe *self;

  g_return_val_if_fail (KC_IS_KERIO_CLIENT (client), NULL);

  self = g_object_new (KC_TYPE_PROBE, NULL);
  self->client = g_object_ref (client);
  return self;
}

KcKerioClient *
kc_probe_get_client (KcProbe *self)
{
  g_return_val_if_fail (KC_IS_PROBE (self), NULL);

  return self->client;
}

const char *const *
kc_probe_get_lines (KcProbe *self)
{
  static const char *const none[] = { NULL };

  g_return_val_if_fail (KC_IS_PROBE (self), NULL);

  if (self->lines->len == 0 || g_ptr_array_index (self->lines, self->lines->len - 1) != NULL)
    return none;
  return (const char *const *) self->lines->pdata;
}

gboolean
kc_probe_get_succeeded (KcProbe *self)
{
  g_return_val_if_fail (KC_IS_PROBE (self), FALSE);

  return self->calls_ok && self->history_ok;
}

const GError *
kc_probe_get_login_error (KcProbe *self)
{
  g_return_val_if_fail (KC_IS_PROBE (self), NULL);

  return self->login_error;
}

guint
kc_probe_get_n_calls (KcProbe *self)
{
  g_return_val_if_fail (KC_IS_PROBE (self), 0);

  return self->n_calls;
}

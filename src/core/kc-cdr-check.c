/* kc-cdr-check.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-cdr-check"

#include <math.h>

#include "kc-cdr-check.h"

/* Kerio's CDR status of an answered call */
#define KERIO_CDR_ANSWERED 4

typedef struct
{
  KcCdrCheck   *self;  /* NULL once the check was cancelled */
  KcCall       *call;
  GCancellable *cancellable;
  gint64        give_up_at; /* monotonic µs */
  double        next_delay; /* seconds */
  guint         source;
} Job;

struct _KcCdrCheck
{
  GObject        parent_instance;

  KcKerioClient *client;
  double         first_retry;
  double         give_up;
  GPtrArray     *jobs; /* Job, one reference each */
};

G_DEFINE_FINAL_TYPE (KcCdrCheck, kc_cdr_check, G_TYPE_OBJECT)

enum {
  ANSWERED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
job_clear (Job *job)
{
  g_clear_handle_id (&job->source, g_source_remove);
  g_clear_object (&job->call);
  g_clear_object (&job->cancellable);
}

static Job *
job_ref (Job *job)
{
  return g_rc_box_acquire (job);
}

static void
job_unref (Job *job)
{
  g_rc_box_release_full (job, (GDestroyNotify) job_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Job, job_unref)

static void
job_finish (Job *job)
{
  KcCdrCheck *self = job->self;

  job->self = NULL;
  g_clear_handle_id (&job->source, g_source_remove);
  if (self)
    g_ptr_array_remove (self->jobs, job);
}

static gboolean
is_answered_status (const KcCdr *cdr)
{
  return cdr->status == KERIO_CDR_ANSWERED;
}

KcCdrVerdict
kc_cdr_check_judge (KcCall     *call,
                    GPtrArray  *cdrs,
                    char      **answered_by,
                    gint64     *answer_time)
{
  const char *from = kc_call_get_from_number (call);
  const char *to = kc_call_get_to_number (call);
  gboolean outgoing = kc_call_get_direction (call) == KC_DIRECTION_OUTGOING;
  const KcCdr *answered = NULL;
  gboolean seen = FALSE;

  g_return_val_if_fail (KC_IS_CALL (call), KC_CDR_VERDICT_NONE);
  g_return_val_if_fail (cdrs != NULL, KC_CDR_VERDICT_NONE);

  *answered_by = NULL;
  *answer_time = 0;
  for (guint i = 0; i < cdrs->len; i++)
    {
      const KcCdr *cdr = g_ptr_array_index (cdrs, i);

      if (cdr->timestamp < 0 ||
          ABS (cdr->timestamp - kc_call_get_start_time (call)) > KC_CDR_CHECK_SLACK ||
          g_strcmp0 (cdr->from_number, from) != 0)
        continue;
      /* An outgoing call is to one number; a call from outside may have
       * been taken at another extension of a group or queue. */
      if (outgoing && g_strcmp0 (cdr->to_number, to) != 0)
        continue;
      seen = TRUE;
      if (is_answered_status (cdr) &&
          (answered == NULL || g_strcmp0 (cdr->to_number, to) == 0))
        answered = cdr;
    }

  if (answered == NULL)
    return seen ? KC_CDR_VERDICT_MISSED : KC_CDR_VERDICT_NONE;
  if (answered->to_number && *answered->to_number && g_strcmp0 (answered->to_number, to) != 0)
    *answered_by = g_strdup (answered->to_number);
  if (answered->call_duration >= 0 && answered->answered_duration >= 0 &&
      answered->call_duration >= answered->answered_duration)
    *answer_time = answered->timestamp + answered->call_duration - answered->answered_duration;
  return KC_CDR_VERDICT_ANSWERED;
}

static void ask (Job *job);

static gboolean
on_retry (gpointer data)
{
  Job *job = data;

  job->source = 0;
  ask (job);
  return G_SOURCE_REMOVE;
}

static void
on_answer (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (Job) job = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) cdrs = NULL;
  g_autofree char *answered_by = NULL;
  KcCdrVerdict verdict = KC_CDR_VERDICT_NONE;
  gint64 answer_time = 0;
  KcCdrCheck *self;
  double delay;

  cdrs = kc_kerio_client_find_call_history_finish (KC_KERIO_CLIENT (source), result, &error);
  self = job->self;
  if (self == NULL)
    return;

  if (cdrs)
    verdict = kc_cdr_check_judge (job->call, cdrs, &answered_by, &answer_time);
  else
    g_debug ("Looking for the CDR of call %s failed: %s", kc_call_get_call_id (job->call),
             error->message);

  if (verdict == KC_CDR_VERDICT_ANSWERED)
    {
      g_autoptr (KcCall) call = g_object_ref (job->call);

      job_finish (job);
      g_signal_emit (self, signals[ANSWERED], 0, call, answered_by, answer_time);
      return;
    }
  if (verdict == KC_CDR_VERDICT_MISSED)
    {
      g_debug ("Call %s was missed, says its CDR", kc_call_get_call_id (job->call));
      job_finish (job);
      return;
    }

  delay = job->next_delay;
  if (g_get_monotonic_time () + (gint64) (delay * G_USEC_PER_SEC) > job->give_up_at)
    {
      g_debug ("No CDR of call %s; it stays missed", kc_call_get_call_id (job->call));
      job_finish (job);
      return;
    }
  job->next_delay *= 2;
  job->source = g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) lround (delay * 1000), on_retry,
                                    job, NULL);
}

static void
ask (Job *job)
{
  gint64 start = kc_call_get_start_time (job->call);

  kc_kerio_client_find_call_history_async (job->self->client, start - KC_CDR_CHECK_SLACK,
                                           start + KC_CDR_CHECK_SLACK, job->cancellable,
                                           on_answer, job_ref (job));
}

void
kc_cdr_check_start (KcCdrCheck *self,
                    KcCall     *call)
{
  Job *job;

  g_return_if_fail (KC_IS_CDR_CHECK (self));
  g_return_if_fail (KC_IS_CALL (call));

  job = g_rc_box_new0 (Job);
  job->self = self;
  job->call = g_object_ref (call);
  job->cancellable = g_cancellable_new ();
  job->give_up_at = g_get_monotonic_time () + (gint64) (self->give_up * G_USEC_PER_SEC);
  job->next_delay = self->first_retry;
  g_ptr_array_add (self->jobs, job);
  ask (job);
}

void
kc_cdr_check_cancel_all (KcCdrCheck *self)
{
  g_autoptr (GPtrArray) jobs = NULL;

  g_return_if_fail (KC_IS_CDR_CHECK (self));

  jobs = g_steal_pointer (&self->jobs);
  self->jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) job_unref);
  for (guint i = 0; i < jobs->len; i++)
    {
      Job *job = g_ptr_array_index (jobs, i);

      job->self = NULL;
      g_clear_handle_id (&job->source, g_source_remove);
      g_cancellable_cancel (job->cancellable);
    }
}

guint
kc_cdr_check_get_n_pending (KcCdrCheck *self)
{
  g_return_val_if_fail (KC_IS_CDR_CHECK (self), 0);
  return self->jobs->len;
}

void
kc_cdr_check_set_timing (KcCdrCheck *self,
                         double      first_retry,
                         double      give_up)
{
  g_return_if_fail (KC_IS_CDR_CHECK (self));
  g_return_if_fail (first_retry > 0 && give_up >= 0);

  self->first_retry = first_retry;
  self->give_up = give_up;
}

static void
kc_cdr_check_dispose (GObject *object)
{
  KcCdrCheck *self = KC_CDR_CHECK (object);

  if (self->jobs)
    kc_cdr_check_cancel_all (self);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (kc_cdr_check_parent_class)->dispose (object);
}

static void
kc_cdr_check_finalize (GObject *object)
{
  KcCdrCheck *self = KC_CDR_CHECK (object);

  g_clear_pointer (&self->jobs, g_ptr_array_unref);

  G_OBJECT_CLASS (kc_cdr_check_parent_class)->finalize (object);
}

static void
kc_cdr_check_class_init (KcCdrCheckClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kc_cdr_check_dispose;
  object_class->finalize = kc_cdr_check_finalize;

  signals[ANSWERED] = g_signal_new ("answered", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 3, KC_TYPE_CALL,
                                    G_TYPE_STRING, G_TYPE_INT64);
}

static void
kc_cdr_check_init (KcCdrCheck *self)
{
  self->jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) job_unref);
  self->first_retry = KC_CDR_CHECK_FIRST_RETRY;
  self->give_up = KC_CDR_CHECK_GIVE_UP;
}

KcCdrCheck *
kc_cdr_check_new (KcKerioClient *client)
{
  KcCdrCheck *self;

  g_return_val_if_fail (KC_IS_KERIO_CLIENT (client), NULL);

  self = g_object_new (KC_TYPE_CDR_CHECK, NULL);
  self->client = g_object_ref (client);
  return self;
}

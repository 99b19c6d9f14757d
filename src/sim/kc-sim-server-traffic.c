/* kc-sim-server-traffic.c: the random traffic generator
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-sim-server"

#include <math.h>

#include "kc-sim-server-private.h"

typedef struct
{
  KcSimServer    *self;
  char           *call_id;
  char           *mobile;    /* the party who is not an operator */
  char           *answer_at; /* of a ring group call: who answers */
  KcSimCdrStatus  outcome;
  guint           talk_ms;
  guint           source;
} TrafficCall;

static const char *const caller_names[] = {
  "Aziz Karimov", "Dilnoza Rahimova", "Jasur Toshmatov", "Malika Yusupova",
  "Sardor Aliyev", "Nigora Xasanova", "Bekzod Ergashev", "Shahlo Mirzayeva",
  "Otabek Qodirov", "Gulnora Nazarova", "Rustam Saidov", "Feruza Ismoilova",
};

const char *const kc_sim_operator_names[KC_SIM_N_OPERATORS] = {
  "Nodira Usmonova", "Timur Abdullayev", "Zarina Sobirova", "Akmal Hamidov",
  "Madina Olimova", "Sherzod Rasulov", "Laylo Jo'rayeva", "Ulug'bek Tursunov",
  "Kamola Azimova", "Doniyor Rahmonov",
};

/* The callers not answered that come back: the last this many, in about
 * this share of the calls. Only one whose missed call has ended calls again,
 * so there are enough of them for that even at the tests' hundred calls a
 * second, most still ringing */
#define MISSED_CALLERS_MAX 64
#define REPEAT_PERCENT 25
/* Nobody dials again sooner than this after hanging up: two calls from one
 * number whose starts are a second apart are one call to the tracker (the
 * legs of a ring group start so) */
#define REDIAL_US (3 * G_USEC_PER_SEC)

const char *const kc_sim_mobile_prefixes[KC_SIM_N_MOBILE_PREFIXES] = {
  "+99890", "+99891", "+99893", "+99894", "+99895", "+99897", "+99898", "+99899",
};

void
kc_sim_traffic_call_free (gpointer data)
{
  TrafficCall *call = data;

  g_clear_handle_id (&call->source, g_source_remove);
  g_free (call->call_id);
  g_free (call->mobile);
  g_free (call->answer_at);
  g_free (call);
}

static guint
random_ms (GRand  *rand,
           double  min_seconds,
           double  max_seconds)
{
  return (guint) (g_rand_double_range (rand, min_seconds, max_seconds) * 1000);
}

/* One draw whatever the range, so a seed plays the same calls */
static guint
random_talk_ms (KcSimServer *self)
{
  return random_ms (self->traffic_rand, KC_SIM_TRAFFIC_MIN_TALK, self->traffic_max_talk);
}

static gboolean
ended_long_ago (gpointer key,
                gpointer value,
                gpointer user_data)
{
  return *(gint64 *) user_data - *(gint64 *) value >= REDIAL_US;
}

/* Who hung up when, as long as it matters */
static void
note_ended (KcSimServer *self,
            const char  *number)
{
  gint64 now = g_get_monotonic_time ();

  if (g_hash_table_size (self->traffic_ended) >= 256)
    g_hash_table_foreach_remove (self->traffic_ended, ended_long_ago, &now);
  g_hash_table_insert (self->traffic_ended, g_strdup (number), g_memdup2 (&now, sizeof now));
}

static gboolean
traffic_call_step (gpointer data)
{
  TrafficCall *call = data;
  KcSimServer *self = call->self;

  call->source = 0;
  /* The call may have been ended by hand meanwhile; then it is simply gone */
  if (call->outcome == KC_SIM_CDR_ANSWERED && call->talk_ms > 0
      && kc_sim_server_answer_call_at (self, call->call_id, call->answer_at))
    {
      call->source = g_timeout_add (call->talk_ms, traffic_call_step, call);
      call->talk_ms = 0;
      return G_SOURCE_REMOVE;
    }
  kc_sim_server_end_call (self, call->call_id, call->outcome);
  note_ended (self, call->mobile);
  g_ptr_array_remove_fast (self->traffic_calls, call);
  return G_SOURCE_REMOVE;
}

static void
forget_missed (KcSimServer *self,
               const char  *mobile)
{
  for (guint i = 0; i < self->traffic_missed->len; i++)
    if (g_str_equal (g_ptr_array_index (self->traffic_missed, i), mobile))
      {
        g_ptr_array_remove_index (self->traffic_missed, i);
        return;
      }
}

/* What became of a call with MOBILE, as drawn when it starts (not when it
 * ends, whose order the main loop's timing may change: a seed plays the
 * same calls): unanswered, its caller will come back; answered, they are
 * reached */
static void
note_outcome (KcSimServer    *self,
              const char     *mobile,
              gboolean        incoming,
              KcSimCdrStatus  outcome)
{
  if (outcome == KC_SIM_CDR_ANSWERED)
    forget_missed (self, mobile);
  else if (incoming && outcome == KC_SIM_CDR_NO_ANSWER)
    {
      forget_missed (self, mobile);
      g_ptr_array_add (self->traffic_missed, g_strdup (mobile));
      if (self->traffic_missed->len > MISSED_CALLERS_MAX)
        g_ptr_array_remove_index (self->traffic_missed, 0);
    }
}

/* A ring group rings 2 or 3 extensions at once; one of them answers, or
 * nobody, as often as a direct call is answered or not */
static void
traffic_start_group_call (KcSimServer *self,
                          TrafficCall *call,
                          const char  *mobile,
                          const char  *caller_name,
                          guint        outcome)
{
  GRand *rand = self->traffic_rand;
  char *extensions[4] = { NULL };
  guint n = g_rand_int_range (rand, 2, 4);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *extension = NULL;

      do
        {
          g_free (extension);
          extension = g_strdup_printf ("%d",
                                       1001 + g_rand_int_range (rand, 0,
                                                                G_N_ELEMENTS (kc_sim_operator_names)));
        }
      while (g_strv_contains ((const char *const *) extensions, extension));
      extensions[i] = g_steal_pointer (&extension);
    }

  call->call_id = g_strdup (kc_sim_server_add_group_call (self, mobile, caller_name,
                                                          KC_SIM_TRAFFIC_GROUP,
                                                          (const char *const *) extensions));
  if (outcome < 60)
    {
      call->outcome = KC_SIM_CDR_ANSWERED;
      call->answer_at = g_strdup (extensions[g_rand_int_range (rand, 0, n)]);
      call->talk_ms = random_talk_ms (self);
    }
  else
    call->outcome = KC_SIM_CDR_NO_ANSWER;
  for (guint i = 0; i < n; i++)
    g_free (extensions[i]);

  note_outcome (self, mobile, TRUE, call->outcome);
  call->source = g_timeout_add (random_ms (rand, 1, 15), traffic_call_step, call);
  g_ptr_array_add (self->traffic_calls, call);
}

/* A phone places one call at a time */
static gboolean
is_calling (KcSimServer *self,
            const char  *extension)
{
  for (guint i = 0; i < self->calls->len; i++)
    if (g_strcmp0 (((SimCall *) g_ptr_array_index (self->calls, i))->from_number, extension) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
is_on_a_call (KcSimServer *self,
              const char  *number)
{
  for (guint i = 0; i < self->calls->len; i++)
    {
      const SimCall *call = g_ptr_array_index (self->calls, i);

      if (g_strcmp0 (call->from_number, number) == 0 || g_strcmp0 (call->to_number, number) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Not on a call, nor just off one */
static gboolean
is_free (KcSimServer *self,
         const char  *number)
{
  const gint64 *ended = g_hash_table_lookup (self->traffic_ended, number);

  return !is_on_a_call (self, number) &&
         (ended == NULL || g_get_monotonic_time () - *ended >= REDIAL_US);
}

/* Three calls in ten are with a regular customer, whom the CRM knows and
 * whose earlier calls the history holds; one not already on a call */
static void
maybe_regular (KcSimServer  *self,
               char        **mobile)
{
  const char *regular;

  if (g_rand_int_range (self->traffic_rand, 0, 100) >= 30)
    return;
  regular = kc_sim_crm_regular (self, g_rand_int (self->traffic_rand));
  if (regular == NULL || !is_free (self, regular))
    return;
  g_free (*mobile);
  *mobile = g_strdup (regular);
}

static void
traffic_start_call (KcSimServer *self)
{
  GRand *rand = self->traffic_rand;
  guint extension_index = g_rand_int_range (rand, 0, G_N_ELEMENTS (kc_sim_operator_names));
  g_autofree char *extension = g_strdup_printf ("%u", 1001 + extension_index);
  g_autofree char *mobile = g_strdup_printf ("%s%07d",
                                             kc_sim_mobile_prefixes[g_rand_int_range (
                                               rand, 0, G_N_ELEMENTS (kc_sim_mobile_prefixes))],
                                             g_rand_int_range (rand, 0, 10000000));
  const char *operator_name = kc_sim_operator_names[extension_index];
  const char *caller_name = NULL;
  TrafficCall *call = g_new0 (TrafficCall, 1);
  guint outcome = g_rand_int_range (rand, 0, 100);
  guint repeat = g_rand_int_range (rand, 0, 100);
  gboolean incoming;
  guint ring_ms;

  /* A caller not answered before comes back, or a regular customer calls;
   * a phone makes one call at a time (two calls from one number within a
   * second are one call with two legs to the tracker, as a ring group's) */
  if (repeat < REPEAT_PERCENT && self->traffic_missed->len > 0)
    {
      guint len = self->traffic_missed->len;
      guint first = g_rand_int_range (rand, 0, len);

      /* From a random one on, the first who is off the phone */
      for (guint i = 0; i < len; i++)
        {
          const char *again = g_ptr_array_index (self->traffic_missed, (first + i) % len);

          if (is_free (self, again))
            {
              g_free (mobile);
              mobile = g_strdup (again);
              break;
            }
        }
    }
  else
    maybe_regular (self, &mobile);

  if (g_rand_int_range (rand, 0, 100) < 50)
    caller_name = caller_names[g_rand_int_range (rand, 0, G_N_ELEMENTS (caller_names))];

  call->self = self;
  call->mobile = g_strdup (mobile);
  /* An operator already on an outgoing call gets a call instead */
  incoming = g_rand_int_range (rand, 0, 100) < 70 || is_calling (self, extension);
  if (incoming)
    {
      if (g_rand_int_range (rand, 0, 100) < 25)
        {
          traffic_start_group_call (self, call, mobile, caller_name, outcome);
          return;
        }
      call->call_id = g_strdup (kc_sim_server_add_call (self, mobile, caller_name, extension,
                                                        operator_name));
    }
  else
    call->call_id = g_strdup (kc_sim_server_add_call (self, extension, operator_name, mobile,
                                                      caller_name));

  ring_ms = random_ms (rand, 1, 15);
  if (outcome < 60)
    {
      call->outcome = KC_SIM_CDR_ANSWERED;
      call->talk_ms = random_talk_ms (self);
    }
  else if (outcome < 85)
    call->outcome = KC_SIM_CDR_NO_ANSWER;
  else if (outcome < 95)
    {
      call->outcome = KC_SIM_CDR_BUSY;
      ring_ms = random_ms (rand, 2, 5);
    }
  else
    {
      call->outcome = KC_SIM_CDR_FAILED;
      ring_ms = random_ms (rand, 2, 3);
    }

  note_outcome (self, mobile, incoming, call->outcome);
  call->source = g_timeout_add (ring_ms, traffic_call_step, call);
  g_ptr_array_add (self->traffic_calls, call);
}

/* Calls arrive as a Poisson process: exponential gaps around the mean rate */
static gboolean
traffic_tick (gpointer data)
{
  KcSimServer *self = data;
  double gap = -log (1.0 - g_rand_double (self->traffic_rand)) * 60.0 / self->traffic_rate;

  /* Nobody can call a PBX that is rebooting */
  if (!self->down)
    traffic_start_call (self);
  self->traffic_source = g_timeout_add ((guint) CLAMP (gap * 1000, 1, 3600 * 1000), traffic_tick,
                                        self);
  return G_SOURCE_REMOVE;
}

void
kc_sim_server_start_traffic (KcSimServer *self,
                             double       calls_per_minute,
                             guint32      seed)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));

  kc_sim_server_stop_traffic (self);
  if (calls_per_minute <= 0)
    return;
  g_clear_pointer (&self->traffic_rand, g_rand_free);
  self->traffic_rand = g_rand_new_with_seed (seed);
  self->traffic_rate = calls_per_minute;
  self->traffic_source = g_timeout_add (0, traffic_tick, self);
}

void
kc_sim_server_set_traffic_max_talk (KcSimServer *self,
                                    double       seconds)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_return_if_fail (seconds >= KC_SIM_TRAFFIC_MIN_TALK);

  self->traffic_max_talk = seconds;
}

void
kc_sim_server_stop_traffic (KcSimServer *self)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  /* Calls already under way finish on their own, as they would on a PBX */
  g_clear_handle_id (&self->traffic_source, g_source_remove);
}

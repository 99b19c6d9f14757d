/* kc-demo.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-demo"

#include "kc-demo.h"

/* About one call every ten seconds, over a week of history */
#define DEMO_CALLS_PER_MINUTE 6.0
#define DEMO_HISTORY_CALLS 300
#define DEMO_HISTORY_SPAN (7 * 24 * 3600)
#define DEMO_SYNC_MINUTES 0.25
/* The opening call: rings once the first sync has read the history (so its
 * pop-up tells of the caller's calls before), is answered, ends */
#define DEMO_FIRST_RING_SECONDS 2
#define DEMO_FIRST_ANSWER_SECONDS 8
#define DEMO_FIRST_END_SECONDS 42

typedef struct
{
  GWeakRef  sim;
  char     *call_id;
} FirstCall;

static void
first_call_free (gpointer data)
{
  FirstCall *call = data;

  g_weak_ref_clear (&call->sim);
  g_free (call->call_id);
  g_free (call);
}

static gboolean
first_call_answer (gpointer data)
{
  FirstCall *call = data;
  g_autoptr (KcSimServer) sim = g_weak_ref_get (&call->sim);

  if (sim)
    kc_sim_server_answer_call (sim, call->call_id);
  return G_SOURCE_REMOVE;
}

static gboolean
first_call_end (gpointer data)
{
  FirstCall *call = data;
  g_autoptr (KcSimServer) sim = g_weak_ref_get (&call->sim);

  if (sim)
    kc_sim_server_end_call (sim, call->call_id, KC_SIM_CDR_NO_ANSWER);
  return G_SOURCE_REMOVE;
}

/* The opening call's caller has called before: missed yesterday at 14:05,
 * answered three days ago, missed five days ago, so the first pop-up says
 * what the caller context is for */
static void
add_first_caller_history (KcSimServer *sim,
                          gint64       now)
{
  g_autoptr (GDateTime) today = g_date_time_new_from_unix_local (now);
  g_autoptr (GDateTime) yesterday = g_date_time_add_days (today, -1);
  g_autoptr (GDateTime) at_1405 = g_date_time_new_local (g_date_time_get_year (yesterday),
                                                         g_date_time_get_month (yesterday),
                                                         g_date_time_get_day_of_month (yesterday),
                                                         14, 5, 0);

  kc_sim_server_add_cdr (sim, "demo-first-1", g_date_time_to_unix (at_1405), "+998901234567",
                         "1001", KC_SIM_CDR_NO_ANSWER, 25, 0);
  kc_sim_server_add_cdr (sim, "demo-first-2", now - 3 * 24 * 3600 - 5400, "+998901234567", "1002",
                         KC_SIM_CDR_ANSWERED, 245, 230);
  kc_sim_server_add_cdr (sim, "demo-first-3", now - 5 * 24 * 3600 - 9000, "+998901234567", "1001",
                         KC_SIM_CDR_NO_ANSWER, 30, 0);
}

static gboolean
first_call_ring (gpointer data)
{
  FirstCall *call = data;
  g_autoptr (KcSimServer) sim = g_weak_ref_get (&call->sim);

  if (sim)
    call->call_id = g_strdup (kc_sim_server_add_call (sim, "+998901234567", "Aziz Karimov",
                                                      "1001", NULL));
  return G_SOURCE_REMOVE;
}

/* Random traffic may open with an outgoing call, or wait; a new user should
 * see what the app is for at once: an incoming call ringing. */
static void
start_first_call (KcSimServer *sim)
{
  FirstCall *call = g_new0 (FirstCall, 1);

  g_weak_ref_init (&call->sim, sim);
  g_timeout_add_seconds (DEMO_FIRST_RING_SECONDS, first_call_ring, call);
  g_timeout_add_seconds (DEMO_FIRST_ANSWER_SECONDS, first_call_answer, call);
  g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, DEMO_FIRST_END_SECONDS, first_call_end, call,
                              first_call_free);
}

KcSimServer *
kc_demo_start (KcConfig  *config,
               GError   **error)
{
  g_autoptr (KcSimServer) sim = kc_sim_server_new ();
  g_autofree char *url = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GUri *endpoint;

  if (!kc_sim_server_listen (sim, 0, NULL, error))
    return NULL;
  /* With its Asterisk Manager Interface too: the demo shows pop-ups as
   * they come with AMI, the moment a phone rings */
  if (!kc_sim_server_listen_ami (sim, 0, error))
    return NULL;
  kc_sim_server_set_record_generated (sim, TRUE);
  kc_sim_server_add_generated_cdrs (sim, "demo", DEMO_HISTORY_CALLS, now - DEMO_HISTORY_SPAN,
                                    DEMO_HISTORY_SPAN / DEMO_HISTORY_CALLS);
  add_first_caller_history (sim, now);
  start_first_call (sim);
  kc_sim_server_start_traffic (sim, DEMO_CALLS_PER_MINUTE, (guint32) now);

  url = kc_sim_server_get_endpoint_url (sim);
  endpoint = g_uri_parse (url, G_URI_FLAGS_NONE, error);
  if (endpoint == NULL)
    return NULL;
  g_clear_pointer (&config->endpoint, g_uri_unref);
  config->endpoint = endpoint;
  g_free (config->username);
  config->username = g_strdup (KC_SIM_DEFAULT_USERNAME);
  g_free (config->password);
  config->password = g_strdup (KC_SIM_DEFAULT_PASSWORD);
  g_clear_pointer (&config->tls_pin, g_free);
  g_free (config->ami_host);
  config->ami_host = g_strdup ("127.0.0.1");
  config->ami_port = kc_sim_server_get_ami_port (sim);
  g_clear_pointer (&config->ami_username, g_free);
  g_clear_pointer (&config->ami_password, g_free);
  /* The simulator's CRM names its customers and has their cards */
  g_free (config->lookup_url);
  config->lookup_url = kc_sim_server_get_crm_lookup_url (sim);
  g_free (config->crm_url);
  config->crm_url = kc_sim_server_get_crm_search_url (sim);
  /* Demo calls should reach the history while the visitor is still looking */
  config->sync_interval = MIN (config->sync_interval, DEMO_SYNC_MINUTES);
  g_message ("Demo mode: using the built-in Kerio Operator simulator at %s", url);
  return g_steal_pointer (&sim);
}

char *
kc_demo_store_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "kerio-cti", "demo.db", NULL);
}

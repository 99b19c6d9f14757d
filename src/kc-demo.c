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
/* The opening call: rings, is answered, ends */
#define DEMO_FIRST_ANSWER_SECONDS 6
#define DEMO_FIRST_END_SECONDS 40

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

/* Random traffic may open with an outgoing call, or wait; a new user should
 * see what the app is for at once: an incoming call ringing. */
static void
start_first_call (KcSimServer *sim)
{
  FirstCall *call = g_new0 (FirstCall, 1);

  g_weak_ref_init (&call->sim, sim);
  call->call_id = g_strdup (kc_sim_server_add_call (sim, "+998901234567", "Aziz Karimov", "1001",
                                                    NULL));
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

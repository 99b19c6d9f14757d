/* kc-probe-cli.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-probe"

#include "config.h"

#include <glib/gi18n.h>
#include <stdlib.h>

#include "core/kc-config.h"
#include "core/kc-probe.h"
#include "kc-cli.h"
#include "kc-probe-cli.h"

typedef struct
{
  GMainLoop *loop;
  gboolean   done;
} Wait;

static void
on_probed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Wait *wait = user_data;

  kc_probe_run_finish (KC_PROBE (source), result, NULL);
  wait->done = TRUE;
  g_main_loop_quit (wait->loop);
}

int
kc_probe_cli_run (gboolean demo)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcConfig) config = NULL;
  g_autoptr (KcSimServer) sim = NULL;
  g_autoptr (KcKerioClient) client = NULL;
  g_autoptr (KcProbe) probe = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autofree char *url = NULL;
  Wait wait = { 0 };
  int status;

  /* stdout is the report */
  config = kc_cli_start (demo, &sim, &status);
  if (config == NULL)
    return status;

  client = kc_kerio_client_new (config->endpoint, config->username, config->password);
  if (config->tls_pin != NULL)
    kc_kerio_client_set_tls_pin (client, config->tls_pin);
  if (config->capture != NULL)
    kc_kerio_client_set_capture (client, config->capture);

  url = g_uri_to_string_partial (config->endpoint, G_URI_HIDE_USERINFO);
  /* TRANSLATORS: the PBX's address, then the user name */
  g_print (_("Probing %s as %s"), url, config->username);
  g_print ("\n");

  probe = kc_probe_new (client);
  if (config->ami_host != NULL)
    {
      g_autoptr (KcAmiClient) ami =
        kc_ami_client_new (config->ami_host, config->ami_port, kc_config_get_ami_username (config),
                           config->ami_password ? config->ami_password : config->password);

      kc_probe_set_ami (probe, ami, config->poll_interval);
    }
  else
    kc_probe_set_ami (probe, NULL, config->poll_interval);
  loop = g_main_loop_new (NULL, FALSE);
  wait.loop = loop;
  kc_probe_run_async (probe, NULL, on_probed, &wait);
  if (!wait.done)
    g_main_loop_run (loop);

  for (const char *const *line = kc_probe_get_lines (probe); *line != NULL; line++)
    g_print ("%s\n", *line);
  return kc_probe_get_succeeded (probe) ? EXIT_SUCCESS : EXIT_FAILURE;
}

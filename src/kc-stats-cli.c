/* kc-stats-cli.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-stats"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>

#include "core/kc-config.h"
#include "core/kc-store-stats.h"
#include "kc-demo.h"
#include "kc-cli.h"
#include "kc-stats-cli.h"

static gboolean requested;
static char *requested_date; /* NULL: today */

gboolean
kc_stats_cli_option (const char  *option_name,
                     const char  *value,
                     gpointer     data,
                     GError     **error)
{
  requested = TRUE;
  g_free (requested_date);
  requested_date = value && *value ? g_strdup (value) : NULL;
  return TRUE;
}

gboolean
kc_stats_cli_requested (void)
{
  return requested;
}

/* Midday of the day TEXT names, in the local time zone, or NULL */
static GDateTime *
parse_date (const char *text)
{
  GDate day;

  if (!kc_cli_parse_day (text, &day))
    return NULL;
  return g_date_time_new_local (g_date_get_year (&day), g_date_get_month (&day),
                                g_date_get_day (&day), 12, 0, 0);
}

static char *
stats_json (GDateTime        *day,
            const KcDayStats *stats)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *date = g_date_time_format (day, "%Y-%m-%d");

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "date");
  json_builder_add_string_value (builder, date);
  json_builder_set_member_name (builder, "incoming");
  json_builder_add_int_value (builder, stats->incoming);
  json_builder_set_member_name (builder, "outgoing");
  json_builder_add_int_value (builder, stats->outgoing);
  json_builder_set_member_name (builder, "answered");
  json_builder_add_int_value (builder, stats->answered);
  json_builder_set_member_name (builder, "missed");
  json_builder_add_int_value (builder, stats->missed);
  json_builder_set_member_name (builder, "toCallBack");
  json_builder_add_int_value (builder, stats->to_call_back);
  json_builder_set_member_name (builder, "averageTalkSeconds");
  json_builder_add_int_value (builder, stats->average_talk);
  json_builder_set_member_name (builder, "longestWaitSeconds");
  json_builder_add_int_value (builder, stats->longest_wait);
  /* The hours with an incoming call answered or missed, in order */
  json_builder_set_member_name (builder, "perHour");
  json_builder_begin_array (builder);
  for (guint hour = 0; hour < G_N_ELEMENTS (stats->hours); hour++)
    {
      if (stats->hours[hour].answered + stats->hours[hour].missed == 0)
        continue;
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "hour");
      json_builder_add_int_value (builder, hour);
      json_builder_set_member_name (builder, "answered");
      json_builder_add_int_value (builder, stats->hours[hour].answered);
      json_builder_set_member_name (builder, "missed");
      json_builder_add_int_value (builder, stats->hours[hour].missed);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

int
kc_stats_cli_run (gboolean demo)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcConfig) config = NULL;
  g_autoptr (KcStore) store = NULL;
  g_autoptr (GDateTime) day = NULL;
  g_autofree char *path = NULL;
  g_autofree char *json = NULL;
  KcDayStats stats;

  /* stdout is the figures; the log goes to stderr */
  g_log_writer_default_set_use_stderr (TRUE);

  day = requested_date ? parse_date (requested_date) : g_date_time_new_now_local ();
  if (day == NULL)
    {
      /* TRANSLATORS: --stats is the option; keep YYYY-MM-DD as it is */
      kc_cli_say_error (_("--stats: “%s” is not a date; give it as YYYY-MM-DD, e.g. 2026-12-07"),
                        requested_date);
      return KC_EXIT_USAGE;
    }

  config = kc_config_load (&error);
  if (config == NULL)
    {
      kc_cli_say_error ("%s", error->message);
      return KC_EXIT_USAGE;
    }

  path = demo ? kc_demo_store_path () : kc_store_default_path ();
  store = kc_store_open (path, &error);
  if (store == NULL || !kc_store_get_day_stats (store, day, config->extension, &stats, &error))
    {
      kc_cli_say_error ("%s", error->message);
      return EXIT_FAILURE;
    }

  json = stats_json (day, &stats);
  g_print ("%s\n", json);
  return EXIT_SUCCESS;
}

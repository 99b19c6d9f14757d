/* kc-caller-summary.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-caller-summary"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "kc-caller-summary.h"

gint64
kc_caller_summary_since (gint64 now)
{
  return now - KC_CALLER_RECENT_DAYS * 24 * 3600;
}

/* How the last call went, seen from the operator's desk */
static const char *
last_call_word (const KcCallerHistory *history)
{
  if (history->last_direction == KC_DIRECTION_OUTGOING)
    return history->last_status == KC_CALL_STATUS_ANSWERED
             ? C_("last call", "called, answered")
             : C_("last call", "called, no answer");
  switch (history->last_status)
    {
    case KC_CALL_STATUS_ANSWERED:
      return C_("last call", "answered");
    case KC_CALL_STATUS_MISSED:
      return history->last_voicemail ? C_("last call", "missed, voicemail")
                                     : C_("last call", "missed");
    case KC_CALL_STATUS_BUSY:
      return C_("last call", "busy");
    case KC_CALL_STATUS_FAILED:
    default:
      return C_("last call", "failed");
    }
}

static gboolean
same_day (GDateTime *a,
          GDateTime *b)
{
  return g_date_time_get_year (a) == g_date_time_get_year (b) &&
         g_date_time_get_day_of_year (a) == g_date_time_get_day_of_year (b);
}

/* "today 14:05", "yesterday 14:05", "12 March 14:05", "12 March 2024" */
static char *
format_when (gint64     when,
             GDateTime *now)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (when);
  g_autoptr (GDateTime) local = NULL;
  g_autoptr (GDateTime) yesterday = g_date_time_add_days (now, -1);
  g_autofree char *time = NULL;

  if (utc == NULL || yesterday == NULL)
    return g_strdup ("");
  local = g_date_time_to_timezone (utc, g_date_time_get_timezone (now));
  time = g_date_time_format (local, "%H:%M");
  /* A PBX clock a little ahead of ours makes no call "tomorrow" */
  if (same_day (local, now) || g_date_time_compare (local, now) > 0)
    /* TRANSLATORS: when a caller's last call was: today, at this time */
    return g_strdup_printf (_("today %s"), time);
  if (same_day (local, yesterday))
    /* TRANSLATORS: when a caller's last call was: yesterday, at this time */
    return g_strdup_printf (_("yesterday %s"), time);
  if (g_date_time_get_year (local) == g_date_time_get_year (now))
    /* TRANSLATORS: when a caller's last call was, earlier this year: day,
     * month and time, see strftime ("%-d" is the day without a leading
     * zero) */
    return g_date_time_format (local, _("%-d %B %H:%M"));
  /* TRANSLATORS: when a caller's last call was, in another year: day, month
   * and year, see strftime */
  return g_date_time_format (local, _("%-d %B %Y"));
}

char *
kc_caller_summary_format (const KcCallerHistory *history,
                          GDateTime             *now)
{
  g_autofree char *count = NULL;
  g_autofree char *when = NULL;

  g_return_val_if_fail (history != NULL, NULL);
  g_return_val_if_fail (now != NULL, NULL);

  if (!history->has_last)
    return g_strdup (_("No earlier calls"));

  if (history->n_recent == 0)
    count = g_strdup (_("No calls in 7 days"));
  else
    count = g_strdup_printf (ngettext ("%u call in 7 days", "%u calls in 7 days",
                                       history->n_recent),
                             history->n_recent);
  when = format_when (history->last_time, now);
  /* TRANSLATORS: a caller's history: how many calls lately, how the last one
   * went and when, e.g. "3 calls in 7 days, last: missed yesterday 14:05" */
  return g_strdup_printf (_("%1$s, last: %2$s %3$s"), count, last_call_word (history), when);
}

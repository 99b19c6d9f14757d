/* kc-types.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-types"

#include <string.h>

#include "kc-types.h"

static const char *const direction_names[] = { "kiruvchi", "chiquvchi" };
static const char *const state_names[] = { "kelyapti", "suhbatda", "yakunlandi", "javobsiz" };
static const char *const status_names[] = { "javob berildi", "javobsiz", "band", "xatolik" };

const char *
kc_direction_to_string (KcDirection direction)
{
  g_return_val_if_fail (direction <= KC_DIRECTION_OUTGOING, NULL);
  return direction_names[direction];
}

gboolean
kc_direction_from_string (const char  *text,
                          KcDirection *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (direction_names); i++)
    if (g_strcmp0 (text, direction_names[i]) == 0)
      {
        *out = (KcDirection) i;
        return TRUE;
      }
  return FALSE;
}

const char *
kc_call_state_to_string (KcCallState state)
{
  g_return_val_if_fail (state <= KC_CALL_STATE_MISSED, NULL);
  return state_names[state];
}

gboolean
kc_call_state_is_final (KcCallState state)
{
  return state == KC_CALL_STATE_FINISHED || state == KC_CALL_STATE_MISSED;
}

const char *
kc_call_status_to_string (KcCallStatus status)
{
  g_return_val_if_fail (status <= KC_CALL_STATUS_FAILED, NULL);
  return status_names[status];
}

gboolean
kc_call_status_from_string (const char   *text,
                            KcCallStatus *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (status_names); i++)
    if (g_strcmp0 (text, status_names[i]) == 0)
      {
        *out = (KcCallStatus) i;
        return TRUE;
      }
  return FALSE;
}

KcCallStatus
kc_call_status_from_kerio (int kerio_status)
{
  switch (kerio_status)
    {
    case 4:
      return KC_CALL_STATUS_ANSWERED;
    case 3:
    case 6:
      return KC_CALL_STATUS_MISSED;
    case 2:
      return KC_CALL_STATUS_BUSY;
    default:
      return KC_CALL_STATUS_FAILED;
    }
}

static guint
count_digits (const char *number)
{
  guint n = 0;

  for (const char *p = number; p && *p; p++)
    if (g_ascii_isdigit (*p))
      n++;
  return n;
}

gboolean
kc_classify_call (const char  *from_number,
                  const char  *to_number,
                  const char  *extension,
                  guint        extension_digits,
                  KcDirection *direction)
{
  KcDirection dir;

  if (extension && *extension)
    {
      if (g_strcmp0 (to_number, extension) == 0)
        dir = KC_DIRECTION_INCOMING;
      else if (g_strcmp0 (from_number, extension) == 0)
        dir = KC_DIRECTION_OUTGOING;
      else
        return FALSE;
    }
  else
    {
      dir = count_digits (from_number) > extension_digits ? KC_DIRECTION_INCOMING
                                                          : KC_DIRECTION_OUTGOING;
    }

  if (direction)
    *direction = dir;
  return TRUE;
}

char *
kc_iso8601_from_unix (gint64 unix_seconds)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (unix_seconds);

  if (dt == NULL)
    return NULL;
  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
}

gboolean
kc_iso8601_to_unix (const char *text,
                    gint64     *out)
{
  g_autoptr (GDateTime) dt = NULL;

  if (text == NULL)
    return FALSE;
  dt = g_date_time_new_from_iso8601 (text, NULL);
  if (dt == NULL)
    return FALSE;
  *out = g_date_time_to_unix (dt);
  return TRUE;
}

/* kc-day-figures.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-day-figures"

#include "config.h"

#include <glib/gi18n.h>

#include "core/kc-store-stats.h"
#include "kc-dashboard-page.h"
#include "kc-day-figures.h"
#include "kc-hour-chart.h"

/* A sync writes a page every few tens of milliseconds, and a day of a busy
 * call centre takes tens of milliseconds to count: once for a burst */
#define REFRESH_DELAY_MS 500

enum
{
  TILE_INCOMING,
  TILE_OUTGOING,
  TILE_ANSWERED,
  TILE_MISSED,
  TILE_TO_CALL_BACK,
  TILE_AVERAGE_TALK,
  TILE_LONGEST_WAIT,
  N_TILES
};

struct _KcDayFigures
{
  GtkWidget    parent_instance;

  GtkWidget   *box;
  GtkLabel    *error_label;
  GtkFlowBox  *tiles;
  KcHourChart *chart;
  GtkLabel    *values[N_TILES];

  KcFollowUp  *follow_up;
  guint        refresh_source;
  guint        midnight_source;
  gboolean     stale; /* changed while not shown */
};

G_DEFINE_FINAL_TYPE (KcDayFigures, kc_day_figures, GTK_TYPE_WIDGET)

static void refresh (KcDayFigures *self);

static gboolean
refresh_later (gpointer user_data)
{
  KcDayFigures *self = user_data;

  self->refresh_source = 0;
  self->midnight_source = 0;
  refresh (self);
  return G_SOURCE_REMOVE;
}

/* Tomorrow's figures start at local midnight */
static void
wake_at_midnight (KcDayFigures *self)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  gint64 start, end;

  g_clear_handle_id (&self->midnight_source, g_source_remove);
  kc_day_bounds (now, &start, &end);
  self->midnight_source = g_timeout_add_seconds ((guint) CLAMP (end - g_date_time_to_unix (now) + 1,
                                                                1, 25 * 3600),
                                                 refresh_later, self);
}

static void
set_value (KcDayFigures *self,
           guint         tile,
           char         *text)
{
  g_autofree char *owned = text;

  gtk_label_set_text (self->values[tile], owned);
}

static void
refresh (KcDayFigures *self)
{
  g_autoptr (GDateTime) today = g_date_time_new_now_local ();
  g_autoptr (GError) error = NULL;
  KcDayStats stats;

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  self->stale = FALSE;
  if (self->follow_up == NULL)
    return;
  wake_at_midnight (self);

  if (!kc_store_get_day_stats (kc_follow_up_get_store (self->follow_up), today,
                               kc_follow_up_get_extension (self->follow_up), &stats, &error))
    {
      g_autofree char *text = g_strdup_printf (_("Today’s figures cannot be read: %s"),
                                               error->message);

      gtk_label_set_text (self->error_label, text);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
      return;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);

  set_value (self, TILE_INCOMING, g_strdup_printf ("%u", stats.incoming));
  set_value (self, TILE_OUTGOING, g_strdup_printf ("%u", stats.outgoing));
  set_value (self, TILE_ANSWERED, g_strdup_printf ("%u", stats.answered));
  set_value (self, TILE_MISSED, g_strdup_printf ("%u", stats.missed));
  set_value (self, TILE_TO_CALL_BACK, g_strdup_printf ("%u", stats.to_call_back));
  set_value (self, TILE_AVERAGE_TALK, kc_format_duration (stats.average_talk));
  set_value (self, TILE_LONGEST_WAIT, kc_format_duration (stats.longest_wait));
  kc_hour_chart_set_hours (self->chart, stats.hours);
}

static void
schedule_refresh (KcDayFigures *self)
{
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      self->stale = TRUE;
      return;
    }
  if (self->refresh_source == 0)
    self->refresh_source = g_timeout_add (REFRESH_DELAY_MS, refresh_later, self);
}

static void
kc_day_figures_map (GtkWidget *widget)
{
  KcDayFigures *self = KC_DAY_FIGURES (widget);

  GTK_WIDGET_CLASS (kc_day_figures_parent_class)->map (widget);
  if (self->stale)
    refresh (self);
}

void
kc_day_figures_set_follow_up (KcDayFigures *self,
                              KcFollowUp   *follow_up)
{
  g_return_if_fail (KC_IS_DAY_FIGURES (self));
  g_return_if_fail (KC_IS_FOLLOW_UP (follow_up));

  if (self->follow_up == follow_up)
    return;
  if (self->follow_up)
    {
      g_signal_handlers_disconnect_by_data (kc_follow_up_get_store (self->follow_up), self);
      g_signal_handlers_disconnect_by_data (self->follow_up, self);
    }
  g_set_object (&self->follow_up, follow_up);
  /* A call ended or a sync page came in; or a caller was marked done, which
   * changes no call */
  g_signal_connect_object (kc_follow_up_get_store (follow_up), "changed",
                           G_CALLBACK (schedule_refresh), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (follow_up, "items-changed", G_CALLBACK (schedule_refresh), self,
                           G_CONNECT_SWAPPED);
  refresh (self);
}

static void
add_tile (KcDayFigures *self,
          guint         tile,
          const char   *caption)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *value = gtk_label_new ("–");
  GtkWidget *words = gtk_label_new (caption);

  gtk_widget_add_css_class (box, "card");
  gtk_widget_add_css_class (box, "day-figure");
  gtk_widget_add_css_class (value, "title-2");
  gtk_widget_add_css_class (value, "numeric");
  gtk_label_set_xalign (GTK_LABEL (value), 0);
  gtk_label_set_xalign (GTK_LABEL (words), 0);
  gtk_label_set_wrap (GTK_LABEL (words), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (words), PANGO_WRAP_WORD_CHAR);
  /* Cards as narrow as a short name: four to a row on a wide window */
  gtk_label_set_max_width_chars (GTK_LABEL (words), 14);
  gtk_widget_add_css_class (words, "caption");
  gtk_widget_add_css_class (words, "dim-label");
  gtk_box_append (GTK_BOX (box), value);
  gtk_box_append (GTK_BOX (box), words);
  /* Read as "Missed: 4" */
  gtk_accessible_update_relation (GTK_ACCESSIBLE (value), GTK_ACCESSIBLE_RELATION_LABELLED_BY,
                                  words, NULL, -1);
  gtk_flow_box_append (self->tiles, box);
  self->values[tile] = GTK_LABEL (value);
}

static void
kc_day_figures_dispose (GObject *object)
{
  KcDayFigures *self = KC_DAY_FIGURES (object);

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  g_clear_handle_id (&self->midnight_source, g_source_remove);
  if (self->follow_up)
    {
      g_signal_handlers_disconnect_by_data (kc_follow_up_get_store (self->follow_up), self);
      g_signal_handlers_disconnect_by_data (self->follow_up, self);
    }
  g_clear_object (&self->follow_up);
  gtk_widget_dispose_template (GTK_WIDGET (self), KC_TYPE_DAY_FIGURES);

  G_OBJECT_CLASS (kc_day_figures_parent_class)->dispose (object);
}

static void
kc_day_figures_class_init (KcDayFiguresClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kc_day_figures_dispose;
  widget_class->map = kc_day_figures_map;

  g_type_ensure (KC_TYPE_HOUR_CHART);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/uz/kerio/Cti/kc-day-figures.ui");
  gtk_widget_class_bind_template_child (widget_class, KcDayFigures, box);
  gtk_widget_class_bind_template_child (widget_class, KcDayFigures, error_label);
  gtk_widget_class_bind_template_child (widget_class, KcDayFigures, tiles);
  gtk_widget_class_bind_template_child (widget_class, KcDayFigures, chart);
}

static void
kc_day_figures_init (KcDayFigures *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  /* The day's calls so far, counted */
  add_tile (self, TILE_INCOMING, C_("today", "Incoming"));
  add_tile (self, TILE_OUTGOING, C_("today", "Outgoing"));
  add_tile (self, TILE_ANSWERED, C_("today", "Answered"));
  add_tile (self, TILE_MISSED, C_("today", "Missed"));
  add_tile (self, TILE_TO_CALL_BACK, _("Still to call back"));
  add_tile (self, TILE_AVERAGE_TALK, _("Average talk"));
  add_tile (self, TILE_LONGEST_WAIT, _("Longest wait"));
}

/* kc-hour-chart.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-hour-chart"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "kc-hour-chart.h"

#define N_HOURS       24
#define GAP           6    /* between the legend, the bars and the hours */
#define LEGEND_SWATCH 10
#define MIN_HEIGHT    120
#define NATURAL_HEIGHT 170

struct _KcHourChart
{
  GtkWidget   parent_instance;

  KcHourStats hours[N_HOURS];
};

G_DEFINE_FINAL_TYPE (KcHourChart, kc_hour_chart, GTK_TYPE_WIDGET)

/* The theme's named colour, or `fallback` under a theme without it: the
 * accent follows the user's choice, and both have a dark-mode variant */
static void
theme_color (GtkWidget  *widget,
             const char *name,
             const char *fallback,
             GdkRGBA    *color)
{
  GtkStyleContext *context = gtk_widget_get_style_context (widget);

  if (!gtk_style_context_lookup_color (context, name, color))
    gdk_rgba_parse (color, fallback);
}

static PangoLayout *
small_layout (GtkWidget  *widget,
              const char *text)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);
  PangoAttrList *attrs = pango_attr_list_new ();

  pango_attr_list_insert (attrs, pango_attr_scale_new (PANGO_SCALE_SMALL));
  /* Digits of one width, so the hours line up under their bars */
  pango_attr_list_insert (attrs, pango_attr_font_features_new ("tnum=1"));
  pango_layout_set_attributes (layout, attrs);
  pango_attr_list_unref (attrs);
  return layout;
}

static void
append_layout (GtkSnapshot   *snapshot,
               PangoLayout   *layout,
               float          x,
               float          y,
               const GdkRGBA *color)
{
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

static void
append_bar (GtkSnapshot   *snapshot,
            float          x,
            float          y,
            float          width,
            float          height,
            const GdkRGBA *color)
{
  GskRoundedRect rounded;
  graphene_rect_t rect = GRAPHENE_RECT_INIT (x, y, width, height);

  gsk_rounded_rect_init_from_rect (&rounded, &rect, MIN (2.f, width / 2));
  gtk_snapshot_push_rounded_clip (snapshot, &rounded);
  gtk_snapshot_append_color (snapshot, color, &rect);
  gtk_snapshot_pop (snapshot);
}

static guint
busiest (KcHourChart *self)
{
  guint top = 0;

  for (guint h = 0; h < N_HOURS; h++)
    top = MAX (top, self->hours[h].answered + self->hours[h].missed);
  return top;
}

/* The legend: a swatch and a word for each colour; *height: its height */
static void
snapshot_legend (KcHourChart   *self,
                 GtkSnapshot   *snapshot,
                 const GdkRGBA *answered,
                 const GdkRGBA *missed,
                 const GdkRGBA *text,
                 int           *height)
{
  GtkWidget *widget = GTK_WIDGET (self);
  const struct { const char *label; const GdkRGBA *color; } keys[] = {
    { C_("chart", "Answered"), answered },
    { C_("chart", "Missed"), missed },
  };
  float x = 0;

  *height = 0;
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autoptr (PangoLayout) layout = small_layout (widget, keys[i].label);
      int w, h;

      pango_layout_get_pixel_size (layout, &w, &h);
      append_bar (snapshot, x, (h - LEGEND_SWATCH) / 2.f, LEGEND_SWATCH, LEGEND_SWATCH,
                  keys[i].color);
      append_layout (snapshot, layout, x + LEGEND_SWATCH + 4, 0, text);
      x += LEGEND_SWATCH + 4 + w + 16;
      *height = MAX (*height, h);
    }
}

static void
kc_hour_chart_snapshot (GtkWidget   *widget,
                        GtkSnapshot *snapshot)
{
  KcHourChart *self = KC_HOUR_CHART (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  g_autoptr (PangoLayout) probe = small_layout (widget, "24");
  GdkRGBA answered, missed, text, dim, rule;
  guint top = busiest (self);
  int legend_h, label_w, label_h;
  float slot, bar, plot_top, plot_bottom;
  guint step;

  theme_color (widget, "accent_color", "#1c71d8", &answered);
  theme_color (widget, "error_color", "#c01c28", &missed);
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &text);
  dim = text;
  dim.alpha *= 0.6f;
  rule = text;
  rule.alpha *= 0.15f;

  snapshot_legend (self, snapshot, &answered, &missed, &text, &legend_h);
  pango_layout_get_pixel_size (probe, &label_w, &label_h);
  plot_top = legend_h + GAP + label_h;
  plot_bottom = height - label_h - GAP;
  if (plot_bottom <= plot_top || width < N_HOURS)
    return;

  slot = (float) width / N_HOURS;
  bar = MAX (2.f, slot * 0.7f);
  /* As many hour labels as fit side by side */
  step = slot >= label_w * 1.6f ? 2 : slot * 3 >= label_w * 1.6f ? 3 : 6;

  gtk_snapshot_append_color (snapshot, &rule,
                             &GRAPHENE_RECT_INIT (0, plot_bottom, width, 1));
  for (guint h = 0; h < N_HOURS; h += step)
    {
      g_autofree char *hour = g_strdup_printf ("%u", h);
      g_autoptr (PangoLayout) layout = small_layout (widget, hour);
      int w, lh;

      pango_layout_get_pixel_size (layout, &w, &lh);
      append_layout (snapshot, layout, CLAMP (h * slot + (slot - w) / 2, 0, width - w),
                     plot_bottom + GAP, &dim);
    }

  if (top == 0)
    {
      g_autoptr (PangoLayout) layout = gtk_widget_create_pango_layout (widget,
                                                                       _("No incoming calls"));
      int w, h;

      pango_layout_get_pixel_size (layout, &w, &h);
      append_layout (snapshot, layout, (width - w) / 2.f, (plot_top + plot_bottom - h) / 2,
                     &dim);
      return;
    }

  /* The tallest bar's count, on a faint line at its height */
  {
    g_autofree char *count = g_strdup_printf ("%u", top);
    g_autoptr (PangoLayout) layout = small_layout (widget, count);
    int w, h;

    pango_layout_get_pixel_size (layout, &w, &h);
    gtk_snapshot_append_color (snapshot, &rule, &GRAPHENE_RECT_INIT (0, plot_top, width, 1));
    append_layout (snapshot, layout, width - w, plot_top - h, &dim);
  }

  for (guint h = 0; h < N_HOURS; h++)
    {
      float unit = (plot_bottom - plot_top) / top;
      float x = h * slot + (slot - bar) / 2;
      float a = self->hours[h].answered * unit;
      float m = self->hours[h].missed * unit;

      if (a > 0)
        append_bar (snapshot, x, plot_bottom - a, bar, a, &answered);
      if (m > 0)
        append_bar (snapshot, x, plot_bottom - a - m, bar, m, &missed);
    }
}

static void
kc_hour_chart_measure (GtkWidget      *widget,
                       GtkOrientation  orientation,
                       int             for_size,
                       int            *minimum,
                       int            *natural,
                       int            *minimum_baseline,
                       int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      /* Bars of a few pixels each fit a phone-wide window */
      *minimum = N_HOURS * 4;
      *natural = N_HOURS * 24;
    }
  else
    {
      *minimum = MIN_HEIGHT;
      *natural = NATURAL_HEIGHT;
    }
}

static gboolean
kc_hour_chart_query_tooltip (GtkWidget  *widget,
                             int         x,
                             int         y,
                             gboolean    keyboard,
                             GtkTooltip *tooltip)
{
  KcHourChart *self = KC_HOUR_CHART (widget);
  int width = gtk_widget_get_width (widget);
  g_autofree char *text = NULL;
  guint h;

  if (keyboard || width <= 0 || x < 0 || x >= width)
    return FALSE;
  h = (guint) x * N_HOURS / (guint) width;
  /* TRANSLATORS: an hour of the day, then its incoming calls answered and
   * missed, e.g. "09:00–10:00 · answered 12, missed 3" */
  text = g_strdup_printf (_("%02u:00–%02u:00 · answered %u, missed %u"), h, h + 1,
                          self->hours[h].answered, self->hours[h].missed);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
kc_hour_chart_css_changed (GtkWidget         *widget,
                           GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (kc_hour_chart_parent_class)->css_changed (widget, change);
  /* Dark mode or another accent: other colours */
  gtk_widget_queue_draw (widget);
}

static void
kc_hour_chart_class_init (KcHourChartClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  widget_class->snapshot = kc_hour_chart_snapshot;
  widget_class->measure = kc_hour_chart_measure;
  widget_class->query_tooltip = kc_hour_chart_query_tooltip;
  widget_class->css_changed = kc_hour_chart_css_changed;
  gtk_widget_class_set_css_name (widget_class, "hourchart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
kc_hour_chart_init (KcHourChart *self)
{
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Incoming calls per hour, answered and missed"), -1);
}

GtkWidget *
kc_hour_chart_new (void)
{
  return g_object_new (KC_TYPE_HOUR_CHART, NULL);
}

void
kc_hour_chart_set_hours (KcHourChart       *self,
                         const KcHourStats *hours)
{
  g_return_if_fail (KC_IS_HOUR_CHART (self));
  g_return_if_fail (hours != NULL);

  if (memcmp (self->hours, hours, sizeof self->hours) == 0)
    return;
  memcpy (self->hours, hours, sizeof self->hours);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

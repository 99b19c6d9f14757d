/* kc-calls-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-calls-page"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

#include "core/kc-history-model.h"
#include "kc-calls-page.h"
#include "kc-dashboard-page.h"
#include "kc-export-bar.h"
#include "kc-history-row-menu.h"
#include "kc-player-bar.h"

/* The rows the view holds until it has shown its first frame: a tall
 * window's worth, when the window's height is not known yet (first_rows()).
 * GTK 4.8's list view builds a row for up to 200 items around the ones it
 * shows, which costs more than all else the first frame of the page needs;
 * the rest are built this many a frame afterwards. */
#define FIRST_ROWS 60

struct _KcCallsPage
{
  GtkWidget           parent_instance;

  GtkWidget          *box;
  GtkSearchEntry     *search_entry;
  GtkDropDown        *direction_dropdown;
  GtkDropDown        *status_dropdown;
  GtkDropDown        *period_dropdown;
  GtkStack           *stack;
  GtkScrolledWindow  *scrolled_window;
  GtkColumnView      *column_view;
  GtkRevealer        *player_revealer;
  GtkRevealer        *export_revealer;
  KcExportBar        *export_bar; /* built at the first export */
  /* Built when first needed: most openings play no recording and show no
   * empty history, and hidden, both were still built, styled and measured */
  KcPlayerBar        *player_bar;
  GtkWidget          *empty_page;
  GtkWidget          *row_menu; /* a popover, built at its first use */

  KcEngine           *engine;
  KcCallerContext    *context;
  GHashTable         *name_cells; /* the Name column's cells bound: GtkInscription -> NULL */
  KcHistoryModel     *model;
  GtkSliceListModel  *slice; /* the first rows of model, then all of them */
  GtkSingleSelection *selection;
  guint               grow_tick;
  gboolean            grow_started; /* the first frame went by */
  char               *scroll_to;    /* a call kept in view while the view lays out rows */
  guint               scroll_tick;
  guint               scroll_frames;
  double              scroll_upper; /* the adjustment's range when last scrolled */
};

G_DEFINE_FINAL_TYPE (KcCallsPage, kc_calls_page, GTK_TYPE_WIDGET)

enum
{
  OPEN_URL,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef enum
{
  COLUMN_DIRECTION,
  COLUMN_NAME,
  COLUMN_FROM,
  COLUMN_TO,
  COLUMN_TIME,
  COLUMN_DURATION,
  COLUMN_STATUS,
  COLUMN_RECORDING,
} Column;

/* Names are free text: the column shows this many characters, as few as
 * NAME_MIN_CHARS where the window is narrow (so that the history still fits
 * a 960 px window in Uzbek), and cuts a longer name short with "…", whole
 * in its tooltip */
#define NAME_CHARS 20
#define NAME_MIN_CHARS 8

static const KcRecord *
item_record (GtkListItem *item)
{
  return kc_record_object_get_record (gtk_list_item_get_item (item));
}

/* The other party: the caller of an incoming call, the callee of an
 * outgoing one */
static const char *
record_party (const KcRecord *record)
{
  return record->direction == KC_DIRECTION_INCOMING ? record->from_number : record->to_number;
}

static KcPlayerBar *
ensure_player_bar (KcCallsPage *self)
{
  if (self->player_bar == NULL)
    {
      self->player_bar = kc_player_bar_new ();
      gtk_revealer_set_child (self->player_revealer, GTK_WIDGET (self->player_bar));
      kc_player_bar_set_engine (self->player_bar, self->engine);
    }
  return self->player_bar;
}

static void
on_play_clicked (GtkButton   *button,
                 KcCallsPage *self)
{
  const char *call_id = g_object_get_data (G_OBJECT (button), "call-id");

  gtk_revealer_set_reveal_child (self->player_revealer, TRUE);
  kc_player_bar_play_call (ensure_player_bar (self), call_id);
}

/* How many characters of GtkInscription's measure (the wider of the
 * font's average character and digit) `text` takes in the history's font */
static guint
text_chars (KcCallsPage *self,
            const char  *text,
            gboolean     numeric)
{
  PangoContext *context = gtk_widget_get_pango_context (GTK_WIDGET (self->column_view));
  g_autoptr (PangoLayout) layout = pango_layout_new (context);
  PangoFontMetrics *metrics = pango_context_get_metrics (context, NULL, NULL);
  int char_width = MAX (pango_font_metrics_get_approximate_char_width (metrics),
                        pango_font_metrics_get_approximate_digit_width (metrics));
  int width;

  pango_font_metrics_unref (metrics);
  if (numeric)
    {
      /* the "numeric" style class: digits of one width */
      g_autoptr (PangoAttrList) attrs = pango_attr_list_new ();

      pango_attr_list_insert (attrs, pango_attr_font_features_new ("tnum=1"));
      pango_layout_set_attributes (layout, attrs);
    }
  pango_layout_set_text (layout, text, -1);
  pango_layout_get_size (layout, &width, NULL);
  return (guint) ((width + MAX (char_width, 1) - 1) / MAX (char_width, 1));
}

/* The width of a column, in characters, for the widest text it can show:
 * its texts are few (the statuses, in the user's language) or of one shape
 * (a phone number, a time, a duration), so it is known before any row. */
static guint
column_chars (KcCallsPage *self,
              Column       column)
{
  static const KcCallStatus statuses[] = { KC_CALL_STATUS_ANSWERED, KC_CALL_STATUS_MISSED,
                                           KC_CALL_STATUS_BUSY, KC_CALL_STATUS_FAILED };
  g_autoptr (GDateTime) sample = NULL;
  g_autofree char *text = NULL;
  guint chars = 0;

  switch (column)
    {
    case COLUMN_FROM:
    case COLUMN_TO:
      /* E.164: a plus and up to 15 digits, the widest digit of the font */
      for (char digit = '0'; digit <= '9'; digit++)
        {
          char number[17] = "+";

          memset (number + 1, digit, 15);
          chars = MAX (chars, text_chars (self, number, FALSE));
        }
      return chars;
    case COLUMN_TIME:
      /* two-digit days and months, late in the day */
      sample = g_date_time_new_local (2000, 12, 28, 23, 58, 0);
      text = sample ? g_date_time_format (sample, _("%x %H:%M")) : NULL;
      return text_chars (self, text ? text : "", TRUE);
    case COLUMN_DURATION:
      text = kc_format_duration (99 * 3600 + 59 * 60 + 59);
      return text_chars (self, text, TRUE);
    case COLUMN_STATUS:
      for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
        for (guint voicemail = 0; voicemail < 2; voicemail++)
          {
            KcRecord record = { .status = statuses[i], .voicemail = voicemail };

            chars = MAX (chars, text_chars (self, kc_record_status_text (&record), FALSE));
          }
      return chars;
    case COLUMN_DIRECTION:
      return MAX (text_chars (self, _("Incoming"), FALSE), text_chars (self, _("Outgoing"), FALSE));
    case COLUMN_NAME:
      return NAME_CHARS;
    case COLUMN_RECORDING:
    default:
      g_assert_not_reached ();
    }
}

static void
setup_cell (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            KcCallsPage              *self)
{
  Column column = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (factory), "column"));
  GtkWidget *child;

  if (column == COLUMN_RECORDING)
    {
      child = gtk_button_new_from_icon_name ("media-playback-start-symbolic");
      gtk_widget_add_css_class (child, "flat");
      gtk_widget_add_css_class (child, "circular");
      gtk_widget_add_css_class (child, "play-recording");
      gtk_widget_set_tooltip_text (child, _("Listen to the recording"));
      gtk_widget_set_halign (child, GTK_ALIGN_CENTER);
      g_signal_connect (child, "clicked", G_CALLBACK (on_play_clicked), self);
    }
  else
    {
      /* An inscription, not a label: its width comes from the column's
       * widest text, not from the row's, so a new text does not resize it.
       * GTK 4.8 measures every cell of a column again when one cell's size
       * may have changed, and the view keeps 200 rows: a label per cell made
       * each scroll frame measure them all. The columns are as wide as
       * their texts can be, so nothing is cut short but numbers longer than
       * E.164's and long names (ellipsized, the name whole in its tooltip);
       * on a narrow window the table scrolls sideways. */
      guint chars = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (factory), "chars"));

      if (chars == 0)
        {
          chars = column_chars (self, column);
          g_object_set_data (G_OBJECT (factory), "chars", GUINT_TO_POINTER (chars));
        }

      child = gtk_inscription_new (NULL);
      /* A name may give up width for the other columns to fit */
      gtk_inscription_set_min_chars (GTK_INSCRIPTION (child),
                                     column == COLUMN_NAME ? NAME_MIN_CHARS : chars);
      gtk_inscription_set_nat_chars (GTK_INSCRIPTION (child), chars);
      /* GTK 4.8 draws an ellipsized text at the top of its inscription:
       * one line high and centred, a name cut short is where the row's
       * other texts are */
      if (column == COLUMN_NAME)
        {
          gtk_inscription_set_nat_lines (GTK_INSCRIPTION (child), 1);
          gtk_widget_set_valign (child, GTK_ALIGN_CENTER);
        }
      gtk_inscription_set_text_overflow (GTK_INSCRIPTION (child),
                                         GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);
      gtk_inscription_set_xalign (GTK_INSCRIPTION (child), column == COLUMN_DURATION ? 1 : 0);
      if (column == COLUMN_DURATION || column == COLUMN_TIME)
        gtk_widget_add_css_class (child, "numeric");
      /* The direction's icon is the inscription's background (style.css):
       * one widget, and a new icon is a new style, not a new size. */
      if (column == COLUMN_DIRECTION)
        gtk_widget_add_css_class (child, "call-direction");
    }
  gtk_list_item_set_child (item, child);
}

static void
show_name (KcCallsPage *self,
           GtkWidget   *cell)
{
  const char *party = g_object_get_data (G_OBJECT (cell), "party");
  g_autofree char *name = self->context ? kc_caller_context_get_name (self->context, party, NULL)
                                        : NULL;

  gtk_inscription_set_text (GTK_INSCRIPTION (cell), name);
  gtk_widget_set_tooltip_text (cell, name);
}

static void
bind_cell (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           KcCallsPage              *self)
{
  Column column = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (factory), "column"));
  const KcRecord *record = item_record (item);
  GtkWidget *child = gtk_list_item_get_child (item);
  g_autoptr (GDateTime) local = NULL;
  g_autofree char *text = NULL;
  gboolean incoming = record->direction == KC_DIRECTION_INCOMING;

  switch (column)
    {
    case COLUMN_DIRECTION:
      {
        const char *icon = record->status == KC_CALL_STATUS_MISSED && incoming ? "missed"
                           : incoming                                           ? "incoming"
                                                                                : "outgoing";

        if (!gtk_widget_has_css_class (child, icon))
          {
            gtk_widget_remove_css_class (child, "missed");
            gtk_widget_remove_css_class (child, "incoming");
            gtk_widget_remove_css_class (child, "outgoing");
            gtk_widget_add_css_class (child, icon);
          }
        gtk_inscription_set_text (GTK_INSCRIPTION (child),
                                  incoming ? _("Incoming") : _("Outgoing"));
        return;
      }
    case COLUMN_NAME:
      /* Whom the row is with, for its name as it changes and its menu */
      g_object_set_data_full (G_OBJECT (child), "party", g_strdup (record_party (record)), g_free);
      g_hash_table_add (self->name_cells, child);
      show_name (self, child);
      return;
    case COLUMN_FROM:
      gtk_inscription_set_text (GTK_INSCRIPTION (child), record->from_number);
      return;
    case COLUMN_TO:
      gtk_inscription_set_text (GTK_INSCRIPTION (child), record->to_number);
      return;
    case COLUMN_TIME:
      local = g_date_time_new_from_unix_local (record->start_time);
      /* TRANSLATORS: date and time of a call in the history, see strftime */
      text = local ? g_date_time_format (local, _("%x %H:%M")) : NULL;
      gtk_inscription_set_text (GTK_INSCRIPTION (child), text);
      return;
    case COLUMN_DURATION:
      text = kc_format_duration (record->duration);
      gtk_inscription_set_text (GTK_INSCRIPTION (child), text);
      return;
    case COLUMN_STATUS:
      gtk_inscription_set_text (GTK_INSCRIPTION (child), kc_record_status_text (record));
      return;
    case COLUMN_RECORDING:
      gtk_widget_set_visible (child, record->recording_id != NULL);
      g_object_set_data_full (G_OBJECT (child), "call-id", g_strdup (record->call_id), g_free);
      return;
    default:
      g_assert_not_reached ();
    }
}

static void
unbind_cell (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             KcCallsPage              *self)
{
  if (self->name_cells != NULL)
    g_hash_table_remove (self->name_cells, gtk_list_item_get_child (item));
}

/* The directory was read, or the CRM answered (NUMBER NULL: any number's):
 * the rows on screen show the names as they are now */
static void
on_name_changed (KcCallsPage *self,
                 const char  *number)
{
  GHashTableIter iter;
  gpointer cell;

  g_hash_table_iter_init (&iter, self->name_cells);
  while (g_hash_table_iter_next (&iter, &cell, NULL))
    if (number == NULL || g_strcmp0 (g_object_get_data (cell, "party"), number) == 0)
      show_name (self, cell);
}

static void
add_column (KcCallsPage *self,
            Column       column,
            const char  *title,
            gboolean     expand)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *view_column;

  g_object_set_data (G_OBJECT (factory), "column", GINT_TO_POINTER (column));
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), self);
  if (column == COLUMN_NAME)
    g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cell), self);
  view_column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_expand (view_column, expand);
  gtk_column_view_column_set_resizable (view_column, TRUE);
  gtk_column_view_append_column (self->column_view, view_column);
  g_object_unref (view_column);
}

static void
update_empty_state (KcCallsPage *self)
{
  guint n = self->model ? g_list_model_get_n_items (G_LIST_MODEL (self->model)) : 0;

  if (n == 0 && self->empty_page == NULL)
    {
      self->empty_page = adw_status_page_new ();
      adw_status_page_set_icon_name (ADW_STATUS_PAGE (self->empty_page),
                                     "document-open-recent-symbolic");
      adw_status_page_set_title (ADW_STATUS_PAGE (self->empty_page), _("No Calls"));
      adw_status_page_set_description (ADW_STATUS_PAGE (self->empty_page),
                                       _("No call in the history matches"));
      gtk_stack_add_named (self->stack, self->empty_page, "empty");
    }
  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "list" : "empty");
}

/* The filter the search box and the drop-downs ask for; filter->number
 * points into the search box's text */
static void
read_filter (KcCallsPage     *self,
             KcHistoryFilter *filter)
{
  guint period = gtk_drop_down_get_selected (self->period_dropdown);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autoptr (GDateTime) midnight = NULL;

  filter->number = (char *) gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  /* The drop-downs list "all" first, then the enum values in order. */
  filter->direction = (int) gtk_drop_down_get_selected (self->direction_dropdown) - 1;
  filter->status = (int) gtk_drop_down_get_selected (self->status_dropdown) - 1;
  filter->until = -1;
  midnight = g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                    g_date_time_get_day_of_month (now), 0, 0, 0);
  switch (period)
    {
    case 1:
      filter->since = g_date_time_to_unix (midnight);
      break;
    case 2:
      filter->since = g_date_time_to_unix (midnight) - 6 * 24 * 3600;
      break;
    case 3:
      filter->since = g_date_time_to_unix (midnight) - 29 * 24 * 3600;
      break;
    default:
      filter->since = -1;
      break;
    }
}

static void
apply_filter (KcCallsPage *self)
{
  KcHistoryFilter filter = { 0 };

  if (self->model == NULL)
    return;
  read_filter (self, &filter);
  kc_history_model_set_filter (self->model, &filter);
}

static void
show_all_rows (KcCallsPage *self)
{
  if (self->grow_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->column_view), self->grow_tick);
  self->grow_tick = 0;
  if (self->slice != NULL && gtk_slice_list_model_get_size (self->slice) != G_MAXUINT)
    gtk_slice_list_model_set_size (self->slice, G_MAXUINT);
}

/* Called from the first frame on: that one shows the first rows; each later
 * one builds a few more rows, until the view holds all it keeps. */
static gboolean
grow_tick (GtkWidget     *widget,
           GdkFrameClock *clock,
           gpointer       data)
{
  KcCallsPage *self = data;
  guint size = gtk_slice_list_model_get_size (self->slice);

  if (!self->grow_started)
    {
      self->grow_started = TRUE;
      return G_SOURCE_CONTINUE;
    }
  /* Past the 200 rows GTK builds, the rest cost nothing to show. */
  if (size > 200)
    {
      self->grow_tick = 0;
      gtk_slice_list_model_set_size (self->slice, G_MAXUINT);
      return G_SOURCE_REMOVE;
    }
  gtk_slice_list_model_set_size (self->slice, size + FIRST_ROWS);
  return G_SOURCE_CONTINUE;
}

static void
on_view_map (KcCallsPage *self)
{
  if (self->grow_tick == 0 && self->slice != NULL &&
      gtk_slice_list_model_get_size (self->slice) != G_MAXUINT)
    {
      self->grow_started = FALSE;
      self->grow_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self->column_view), grow_tick,
                                                      self, NULL);
    }
}

/* The height of the shortest text cell of the first row the view has
 * built (a row is at least that tall, whatever else it holds), or 0 */
static int
text_cell_height (GtkWidget *widget)
{
  int shortest = 0;

  if (g_strcmp0 (gtk_widget_get_css_name (widget), "row") == 0)
    {
      for (GtkWidget *cell = gtk_widget_get_first_child (widget); cell != NULL;
           cell = gtk_widget_get_next_sibling (cell))
        {
          GtkWidget *child = gtk_widget_get_first_child (cell);
          int min = 0;

          if (g_strcmp0 (gtk_widget_get_css_name (cell), "cell") != 0 || !GTK_IS_LABEL (child) ||
              !gtk_widget_get_visible (child))
            continue;
          gtk_widget_measure (cell, GTK_ORIENTATION_VERTICAL, -1, &min, NULL, NULL, NULL);
          if (min > 0 && (shortest == 0 || min < shortest))
            shortest = min;
        }
      return shortest;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL && shortest == 0;
       child = gtk_widget_get_next_sibling (child))
    shortest = text_cell_height (child);
  return shortest;
}

/* Enough rows to fill the list, were the rows as short as a text cell of
 * the first row (or else as a line of text). The list is no taller than
 * the window less what the vertical boxes around it give the widgets above
 * and below it at the window's width (the header bar, the filters) and a
 * line for the column titles. A window not laid out yet has its default
 * height; one maximized or full screen may soon be as tall as the screen. */
static guint
first_rows (KcCallsPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autoptr (PangoLayout) layout = NULL;
  int width = 0, height = 0, line = 0, row;

  if (!GTK_IS_WINDOW (root) || gtk_window_is_maximized (GTK_WINDOW (root)) ||
      gtk_window_is_fullscreen (GTK_WINDOW (root)))
    return FIRST_ROWS;
  gtk_window_get_default_size (GTK_WINDOW (root), &width, &height);
  width = MAX (width, gtk_widget_get_width (GTK_WIDGET (root)));
  height = MAX (height, gtk_widget_get_height (GTK_WIDGET (root)));
  layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), "0");
  pango_layout_get_pixel_size (layout, NULL, &line);
  if (width <= 0 || height <= 0 || line <= 0)
    return FIRST_ROWS;
  row = MAX (text_cell_height (GTK_WIDGET (self->column_view)), line);

  for (GtkWidget *widget = GTK_WIDGET (self->stack), *parent = gtk_widget_get_parent (widget);
       parent != NULL; widget = parent, parent = gtk_widget_get_parent (widget))
    {
      if (!GTK_IS_BOX (parent) ||
          gtk_orientable_get_orientation (GTK_ORIENTABLE (parent)) != GTK_ORIENTATION_VERTICAL)
        continue;
      for (GtkWidget *other = gtk_widget_get_first_child (parent); other != NULL;
           other = gtk_widget_get_next_sibling (other))
        {
          int min = 0;

          if (other == widget || !gtk_widget_get_visible (other))
            continue;
          /* No wider than the window, so at least this tall */
          gtk_widget_measure (other, GTK_ORIENTATION_VERTICAL, width, &min, NULL, NULL, NULL);
          height -= min;
        }
    }
  height -= line;
  return CLAMP (height / row + 2, 2, FIRST_ROWS);
}

void
kc_calls_page_set_engine (KcCallsPage *self,
                          KcEngine    *engine)
{
  KcHistoryFilter filter = { 0 };

  g_return_if_fail (KC_IS_CALLS_PAGE (self));
  g_return_if_fail (KC_IS_ENGINE (engine));

  g_clear_object (&self->model);
  if (self->context != NULL)
    g_signal_handlers_disconnect_by_data (self->context, self);
  g_set_object (&self->context, kc_engine_get_caller_context (engine));
  g_signal_connect_object (self->context, "name-changed", G_CALLBACK (on_name_changed), self,
                           G_CONNECT_SWAPPED);
  /* The filter before the view sees the model: a whole-model items-changed
   * under rows on screen makes GTK 4.8 look up every new item. And with
   * the model: one count of the history, not two. */
  read_filter (self, &filter);
  self->model = kc_history_model_new_filtered (kc_engine_get_store (engine), &filter);
  g_signal_connect_object (self->model, "items-changed", G_CALLBACK (update_empty_state), self,
                           G_CONNECT_SWAPPED);
  g_clear_object (&self->selection);
  show_all_rows (self);
  g_clear_object (&self->slice);
  /* One row first, to learn how tall the rows are */
  self->slice = gtk_slice_list_model_new (g_object_ref (G_LIST_MODEL (self->model)), 0, 1);
  /* Autoselect off before the model arrives: a selected row makes every
   * items-changed (a new filter) look for it among all the new items, a
   * get_item() per row of the history. */
  self->selection = gtk_single_selection_new (NULL);
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_model (self->selection, G_LIST_MODEL (self->slice));
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  gtk_slice_list_model_set_size (self->slice, first_rows (self));
  if (gtk_widget_get_mapped (GTK_WIDGET (self->column_view)))
    on_view_map (self);
  g_set_object (&self->engine, engine);
  if (self->player_bar != NULL)
    kc_player_bar_set_engine (self->player_bar, engine);
  update_empty_state (self);
}

/* GTK 4.8's column view cannot scroll to a row by itself; rows have one
 * height, so the adjustment's share is the row's place. */
static void
scroll_to_row (KcCallsPage *self,
               guint        position)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scrolled_window);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->model));

  if (n > 0)
    gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) * position / n);
}

static void
stop_keeping_in_view (KcCallsPage *self)
{
  if (self->scroll_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->column_view), self->scroll_tick);
  self->scroll_tick = 0;
  g_clear_pointer (&self->scroll_to, g_free);
}

/* The adjustment measures the rows as the view last laid them out, and rows
 * just added to the view are estimated until they are built: before each
 * frame's layout, set it again from the last layout, until a layout leaves
 * the range as it was (a few frames at most). The view ignores changes of
 * its adjustment made during its own layout, hence a tick. */
static gboolean
keep_in_view_tick (GtkWidget     *widget,
                   GdkFrameClock *clock,
                   gpointer       data)
{
  KcCallsPage *self = data;
  double upper = gtk_adjustment_get_upper (gtk_scrolled_window_get_vadjustment (
    self->scrolled_window));
  gint64 position = kc_history_model_find (self->model, self->scroll_to);

  if (position < 0 || (self->scroll_frames > 0 && upper == self->scroll_upper) ||
      self->scroll_frames > 5)
    {
      self->scroll_tick = 0;
      g_clear_pointer (&self->scroll_to, g_free);
      return G_SOURCE_REMOVE;
    }
  if (upper > 0)
    {
      scroll_to_row (self, (guint) position);
      self->scroll_upper = upper;
      self->scroll_frames++;
    }
  return G_SOURCE_CONTINUE;
}

gboolean
kc_calls_page_select_call (KcCallsPage *self,
                           const char  *call_id)
{
  gint64 position;

  g_return_val_if_fail (KC_IS_CALLS_PAGE (self), FALSE);

  if (self->model == NULL)
    return FALSE;
  /* The row may lie beyond the first rows. */
  show_all_rows (self);
  position = kc_history_model_find (self->model, call_id);
  if (position < 0)
    {
      /* Perhaps hidden by a filter: show everything and look again. */
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
      gtk_drop_down_set_selected (self->direction_dropdown, 0);
      gtk_drop_down_set_selected (self->status_dropdown, 0);
      gtk_drop_down_set_selected (self->period_dropdown, 0);
      apply_filter (self);
      position = kc_history_model_find (self->model, call_id);
      if (position < 0)
        return FALSE;
    }
  gtk_single_selection_set_selected (self->selection, (guint) position);

  scroll_to_row (self, (guint) position);
  stop_keeping_in_view (self);
  self->scroll_to = g_strdup (call_id);
  self->scroll_frames = 0;
  self->scroll_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self->column_view),
                                                    keep_in_view_tick, self, NULL);
  return TRUE;
}

/* --- The row's menu: Open in CRM, Copy number */

/* The menu of PARTY's row, pointing at (x, y) of the column view */
static void
show_row_menu (KcCallsPage *self,
               const char  *party,
               double       x,
               double       y)
{
  g_autoptr (GMenuModel) menu = kc_history_row_menu_new (self->context, party);
  graphene_point_t at;

  if (self->row_menu == NULL)
    {
      self->row_menu = gtk_popover_menu_new_from_model (NULL);
      gtk_popover_set_has_arrow (GTK_POPOVER (self->row_menu), FALSE);
      gtk_widget_set_halign (self->row_menu, GTK_ALIGN_START);
      gtk_widget_set_parent (self->row_menu, GTK_WIDGET (self));
    }
  gtk_popover_menu_set_menu_model (GTK_POPOVER_MENU (self->row_menu), menu);
  if (!gtk_widget_compute_point (GTK_WIDGET (self->column_view), GTK_WIDGET (self),
                                 &GRAPHENE_POINT_INIT (x, y), &at))
    at = GRAPHENE_POINT_INIT (x, y);
  gtk_popover_set_pointing_to (GTK_POPOVER (self->row_menu),
                               &(GdkRectangle) { (int) at.x, (int) at.y, 1, 1 });
  gtk_popover_popup (GTK_POPOVER (self->row_menu));
}

static void
on_row_pressed (GtkGestureClick *gesture,
                int              n_press,
                double           x,
                double           y,
                KcCallsPage     *self)
{
  const char *party = kc_history_row_party_at (GTK_WIDGET (self->column_view), x, y);

  if (party == NULL)
    return;
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  show_row_menu (self, party, x, y);
}

static void
on_row_long_pressed (GtkGestureLongPress *gesture,
                     double               x,
                     double               y,
                     KcCallsPage         *self)
{
  const char *party = kc_history_row_party_at (GTK_WIDGET (self->column_view), x, y);

  if (party != NULL)
    show_row_menu (self, party, x, y);
}

/* Shift+F10 or the Menu key: the selected row's menu */
static void
row_menu_activated (GtkWidget  *widget,
                    const char *action,
                    GVariant   *parameter)
{
  KcCallsPage *self = KC_CALLS_PAGE (widget);
  KcRecordObject *item;

  if (self->selection == NULL ||
      (item = gtk_single_selection_get_selected_item (self->selection)) == NULL)
    return;
  show_row_menu (self, record_party (kc_record_object_get_record (item)),
                 gtk_widget_get_width (GTK_WIDGET (self->column_view)) / 2.0,
                 gtk_widget_get_height (GTK_WIDGET (self->column_view)) / 3.0);
}

static void
open_crm_activated (GtkWidget  *widget,
                    const char *action,
                    GVariant   *parameter)
{
  KcCallsPage *self = KC_CALLS_PAGE (widget);
  g_autofree char *url = NULL;

  if (self->context != NULL)
    url = kc_caller_context_get_crm_url (self->context, g_variant_get_string (parameter, NULL));
  if (url != NULL)
    g_signal_emit (self, signals[OPEN_URL], 0, url);
}

static void
copy_number_activated (GtkWidget  *widget,
                       const char *action,
                       GVariant   *parameter)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget),
                          g_variant_get_string (parameter, NULL));
}

/* --- Export */

static void
on_export_running (KcCallsPage *self)
{
  gboolean running = kc_export_bar_is_running (self->export_bar);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "history.export", !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "history.export-to", !running);
}

/* What the filters show, to PATH (NULL: asked with the file dialog) */
static void
export (KcCallsPage *self,
        const char  *path)
{
  KcHistoryFilter filter = { 0 };

  if (self->engine == NULL || self->model == NULL)
    return;
  if (self->export_bar == NULL)
    {
      self->export_bar = kc_export_bar_new ();
      gtk_revealer_set_child (self->export_revealer, GTK_WIDGET (self->export_bar));
      g_object_bind_property (self->export_bar, "showing", self->export_revealer, "reveal-child",
                              G_BINDING_SYNC_CREATE);
      g_signal_connect_object (self->export_bar, "notify::running",
                               G_CALLBACK (on_export_running), self, G_CONNECT_SWAPPED);
    }
  if (kc_export_bar_is_running (self->export_bar))
    return;
  read_filter (self, &filter);
  kc_export_bar_export (self->export_bar, kc_store_get_path (kc_engine_get_store (self->engine)),
                        &filter, g_list_model_get_n_items (G_LIST_MODEL (self->model)), path);
}

static void
export_activated (GtkWidget  *widget,
                  const char *action,
                  GVariant   *parameter)
{
  export (KC_CALLS_PAGE (widget), NULL);
}

/* The same without the dialog, to a path given: for tests and scripts */
static void
export_to_activated (GtkWidget  *widget,
                     const char *action,
                     GVariant   *parameter)
{
  export (KC_CALLS_PAGE (widget), g_variant_get_string (parameter, NULL));
}

/* The menu is a popover of the page's: placed again whenever the page is */
static void
kc_calls_page_size_allocate (GtkWidget *widget,
                             int        width,
                             int        height,
                             int        baseline)
{
  KcCallsPage *self = KC_CALLS_PAGE (widget);

  GTK_WIDGET_CLASS (kc_calls_page_parent_class)->size_allocate (widget, width, height, baseline);
  if (self->row_menu != NULL)
    gtk_popover_present (GTK_POPOVER (self->row_menu));
}

static void
kc_calls_page_dispose (GObject *object)
{
  KcCallsPage *self = KC_CALLS_PAGE (object);

  if (self->grow_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->column_view), self->grow_tick);
  self->grow_tick = 0;
  stop_keeping_in_view (self);
  g_clear_pointer (&self->row_menu, gtk_widget_unparent);
  gtk_widget_dispose_template (GTK_WIDGET (self), KC_TYPE_CALLS_PAGE);
  g_clear_object (&self->selection);
  g_clear_object (&self->slice);
  g_clear_object (&self->model);
  g_clear_object (&self->engine);
  if (self->context != NULL)
    g_signal_handlers_disconnect_by_data (self->context, self);
  g_clear_object (&self->context);
  g_clear_pointer (&self->name_cells, g_hash_table_unref);

  G_OBJECT_CLASS (kc_calls_page_parent_class)->dispose (object);
}

static void
kc_calls_page_class_init (KcCallsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kc_calls_page_dispose;
  widget_class->size_allocate = kc_calls_page_size_allocate;

  /* The operator clicked Open in CRM: the page of the row's other party in
   * the CRM, an http(s) URL, to open in the browser */
  signals[OPEN_URL] = g_signal_new ("open-url", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_install_action (widget_class, "history.open-crm", "s", open_crm_activated);
  gtk_widget_class_install_action (widget_class, "history.copy-number", "s",
                                   copy_number_activated);
  gtk_widget_class_install_action (widget_class, "history.row-menu", NULL, row_menu_activated);
  gtk_widget_class_install_action (widget_class, "history.export", NULL, export_activated);
  gtk_widget_class_install_action (widget_class, "history.export-to", "s", export_to_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F10, GDK_SHIFT_MASK,
                                       "history.row-menu", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Menu, 0, "history.row-menu", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/uz/kerio/Cti/kc-calls-page.ui");
  /* Bound so that gtk_widget_dispose_template() unparents it */
  gtk_widget_class_bind_template_child (widget_class, KcCallsPage, box);
  gtk_widget_class_bind_template_child (widget_class, KcCallsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, KcCallsPage, direction_dropdown);
  gtk_widget_class_bind_template_child (widget_class, KcCallsPage, status_dropdown);
  gtk_widget_class_bind_template_child (widget_class, KcCallsPage, period_dropdown);
  gtk_widget_class_bind_template_child (widget_class, KcCallsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, KcCallsPage, scrolled_window);
  gtk_widget_class_bind_template_child (widget_class, KcCallsPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, KcCallsPage, player_revealer);
  gtk_widget_class_bind_template_child (widget_class, KcCallsPage, export_revealer);
}

static void
kc_calls_page_init (KcCallsPage *self)
{
  GtkGesture *click;
  GtkGesture *long_press;

  self->name_cells = g_hash_table_new (NULL, NULL);
  gtk_widget_init_template (GTK_WIDGET (self));

  add_column (self, COLUMN_DIRECTION, _("Direction"), FALSE);
  add_column (self, COLUMN_NAME, _("Name"), TRUE);
  add_column (self, COLUMN_FROM, _("From"), TRUE);
  add_column (self, COLUMN_TO, _("To"), TRUE);
  add_column (self, COLUMN_TIME, _("Time"), FALSE);
  add_column (self, COLUMN_DURATION, _("Duration"), FALSE);
  add_column (self, COLUMN_STATUS, _("Status"), FALSE);
  add_column (self, COLUMN_RECORDING, _("Recording"), FALSE);

  g_signal_connect_object (self->column_view, "map", G_CALLBACK (on_view_map), self,
                           G_CONNECT_SWAPPED);

  click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect_object (click, "pressed", G_CALLBACK (on_row_pressed), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (self->column_view), GTK_EVENT_CONTROLLER (click));
  long_press = gtk_gesture_long_press_new ();
  gtk_gesture_single_set_touch_only (GTK_GESTURE_SINGLE (long_press), TRUE);
  g_signal_connect_object (long_press, "pressed", G_CALLBACK (on_row_long_pressed), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (self->column_view), GTK_EVENT_CONTROLLER (long_press));
  g_signal_connect_object (self->search_entry, "search-changed", G_CALLBACK (apply_filter),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->direction_dropdown, "notify::selected",
                           G_CALLBACK (apply_filter), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->status_dropdown, "notify::selected", G_CALLBACK (apply_filter),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->period_dropdown, "notify::selected", G_CALLBACK (apply_filter),
                           self, G_CONNECT_SWAPPED);
}

void
kc_calls_page_focus_search (KcCallsPage *self)
{
  g_return_if_fail (KC_IS_CALLS_PAGE (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

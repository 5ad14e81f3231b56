/* lang_format_html.c — HTML escaping, the table builder (HTML and text) and
 * the device table. */
#include "test.h"
#include "html.h"

#include <stdlib.h>
#include <string.h>

TEST(escape) {
    char *s = html_escape("a<b & \"c\" 'd'>");
    CHECK_STR(s, "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
    free(s);
    s = html_escape("");
    CHECK_STR(s, "");
    free(s);
    s = html_escape("plain h\xc3\xa9llo");
    CHECK_STR(s, "plain h\xc3\xa9llo");
    free(s);
}

static html_table *sample(void) {
    html_table *t = html_table_new(3);
    const char *head[] = { "Layer (type)", "Output Shape", "Param #" };
    const char *r1[] = { "dense (Dense)", "(None, 1)", "2" };
    const char *r2[] = { "dense_1 (Dense)", "(None, 10)", "<20>" };
    html_table_header(t, head);
    html_table_row(t, r1);
    html_table_row(t, r2);
    html_table_align(t, 2, 'r');
    return t;
}

TEST(table_text_default) {
    html_table *t = sample();
    html_table_caption(t, "Model: \"sequential\"");
    html_table_note(t, "Total params: 22");
    char *s = html_table_render_text(t);
    CHECK_STR(s,
        "Model: \"sequential\"\n"
        "Layer (type)     Output Shape  Param #\n"
        "---------------  ------------  -------\n"
        "dense (Dense)    (None, 1)           2\n"
        "dense_1 (Dense)  (None, 10)       <20>\n"
        "Total params: 22");
    free(s);
    html_table_free(t);
}

TEST(table_text_rules) {
    html_table *t = sample();
    html_table_text_rules(t, '_', '=', '=');
    html_table_min_width(t, 0, 20);
    html_table_note(t, "Total params: 22");
    char *s = html_table_render_text(t);
    /* 43 columns: 20 + 2 + 12 + 2 + 7 */
    char rule_[44], rule_eq[44];
    memset(rule_, '_', 43);
    memset(rule_eq, '=', 43);
    rule_[43] = rule_eq[43] = '\0';
    CHECK(s != NULL);
    if (s) {
        char expect[1024];
        snprintf(expect, sizeof expect,
                 "%s\nLayer (type)          Output Shape  Param #\n%s\n"
                 "dense (Dense)         (None, 1)           2\n"
                 "dense_1 (Dense)       (None, 10)       <20>\n%s\nTotal params: 22",
                 rule_, rule_eq, rule_eq);
        CHECK_STR(s, expect);
    }
    free(s);
    html_table_free(t);
}

TEST(table_html) {
    html_table *t = sample();
    html_table_caption(t, "a & b");
    html_table_note(t, "note <1>");
    char *s = html_table_render_html(t);
    CHECK(s != NULL);
    if (s) {
        CHECK(strncmp(s, "<table class=\"cgpu-table\">", 26) == 0);
        CHECK(strstr(s, "<caption>a &amp; b</caption>") != NULL);
        CHECK(strstr(s, "<th style=\"text-align:left\">Layer (type)</th>") != NULL);
        CHECK(strstr(s, "<th style=\"text-align:right\">Param #</th>") != NULL);
        CHECK(strstr(s, "<td style=\"text-align:right\">&lt;20&gt;</td>") != NULL);
        CHECK(strstr(s, "<td colspan=\"3\" style=\"text-align:left\"><em>note &lt;1&gt;</em></td>") != NULL);
        CHECK(strstr(s, "</tbody>\n</table>") != NULL);
    }
    free(s);
    html_table_free(t);
}

TEST(table_utf8_widths) {
    html_table *t = html_table_new(2);
    const char *h[] = { "k", "v" };
    const char *r1[] = { "\xc3\xa9t\xc3\xa9", "1" }; /* "été": 3 columns, 5 bytes */
    const char *r2[] = { "abcd", "2" };
    html_table_header(t, h);
    html_table_row(t, r1);
    html_table_row(t, r2);
    char *s = html_table_render_text(t);
    CHECK_STR(s, "k     v\n----  -\n\xc3\xa9t\xc3\xa9   1\nabcd  2");
    free(s);
    html_table_free(t);
    CHECK(html_table_new(0) == NULL);
}

TEST(device_table) {
    html_device_row rows[2] = {
        { "Intel(R) Xeon(R) CPU", "CPU", 0, 0, 0, 0, 16 },
        { "NVIDIA H100 80GB HBM3", "GPU", 0, (size_t)85031714816ULL, 9, 0, 132 },
    };
    char *text = html_device_table(rows, 2, NULL, 0);
    CHECK_STR(text,
        "name                   kind  index    memory  compute capability  multiprocessors\n"
        "---------------------  ----  -----  --------  ------------------  ---------------\n"
        "Intel(R) Xeon(R) CPU   CPU       0         -  -                                16\n"
        "NVIDIA H100 80GB HBM3  GPU       0  79.2 GiB  9.0                             132");
    free(text);
    char *html = html_device_table(rows, 1, "No GPU: CUDA driver not found", 1);
    CHECK(html != NULL);
    if (html) {
        CHECK(strstr(html, "<th style=\"text-align:left\">compute capability</th>") != NULL);
        CHECK(strstr(html, "Intel(R) Xeon(R) CPU") != NULL);
        CHECK(strstr(html, "<em>No GPU: CUDA driver not found</em>") != NULL);
        CHECK(strstr(html, "H100") == NULL);
    }
    free(html);
    char b[32];
    html_format_bytes(1023, b, sizeof b);
    CHECK_STR(b, "1023 B");
    html_format_bytes(512 * 1024 * 1024, b, sizeof b);
    CHECK_STR(b, "512.0 MiB");
}

int main(void) {
    RUN(escape);
    RUN(table_text_default);
    RUN(table_text_rules);
    RUN(table_html);
    RUN(table_utf8_widths);
    RUN(device_table);
    return test_summary();
}

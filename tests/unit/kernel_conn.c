/* kernel_conn.c — connection-file parsing, good and bad files. */
#include "test.h"

#include <unistd.h>

#include "jupyter/conn.h"

#define GOOD_TCP "{\"shell_port\": 50001, \"iopub_port\": 50002, \"stdin_port\": 50003, \"control_port\": 50004," \
                 " \"hb_port\": 50005, \"ip\": \"127.0.0.1\", \"key\": \"secret-key-123\", \"transport\": \"tcp\"," \
                 " \"signature_scheme\": \"hmac-sha256\", \"kernel_name\": \"cgpu\"}"

static int parse(const char *text, kn_conn *c, char *err, size_t cap) {
    return kn_conn_parse(text, strlen(text), c, err, cap);
}

TEST(parses_a_jupyter_tcp_file) {
    kn_conn c;
    char err[300], ep[200];
    int v6;
    CHECK(parse(GOOD_TCP, &c, err, sizeof err) == 0);
    CHECK(c.ipc == 0);
    CHECK_STR(c.ip, "127.0.0.1");
    CHECK(c.port[KN_PORT_SHELL] == 50001 && c.port[KN_PORT_IOPUB] == 50002 && c.port[KN_PORT_STDIN] == 50003);
    CHECK(c.port[KN_PORT_CONTROL] == 50004 && c.port[KN_PORT_HB] == 50005);
    CHECK(c.keylen == 14 && memcmp(c.key, "secret-key-123", 14) == 0);
    CHECK_STR(c.signature_scheme, "hmac-sha256");
    CHECK(kn_conn_endpoint(&c, KN_PORT_CONTROL, ep, sizeof ep, &v6) == 0);
    CHECK_STR(ep, "tcp://127.0.0.1:50004");
    CHECK(v6 == 0);
    kn_conn_clear(&c);
    CHECK(c.key == NULL);
}

TEST(ipc_and_ipv6_endpoints) {
    kn_conn c;
    char err[300], ep[200];
    int v6;
    const char *ipc = "{\"transport\":\"ipc\",\"ip\":\"/tmp/kernel-abc\",\"shell_port\":1,\"iopub_port\":2,"
                      "\"stdin_port\":3,\"control_port\":4,\"hb_port\":5,\"key\":\"\",\"signature_scheme\":\"hmac-sha256\"}";
    CHECK(parse(ipc, &c, err, sizeof err) == 0);
    CHECK(c.ipc == 1 && c.keylen == 0);
    CHECK(kn_conn_endpoint(&c, KN_PORT_HB, ep, sizeof ep, &v6) == 0);
    CHECK_STR(ep, "ipc:///tmp/kernel-abc-5"); /* jupyter_client's naming */
    kn_conn_clear(&c);
    const char *v6s = "{\"ip\":\"::1\",\"shell_port\":1,\"iopub_port\":2,\"stdin_port\":3,\"control_port\":4,\"hb_port\":5}";
    CHECK(parse(v6s, &c, err, sizeof err) == 0);
    CHECK(kn_conn_endpoint(&c, KN_PORT_SHELL, ep, sizeof ep, &v6) == 0);
    CHECK_STR(ep, "tcp://[::1]:1");
    CHECK(v6 == 1);
    CHECK_STR(c.signature_scheme, "hmac-sha256"); /* the default */
    CHECK(c.keylen == 0);                         /* no key: unsigned */
    kn_conn_clear(&c);
}

TEST(bad_files_are_refused_with_a_reason) {
    static const struct { const char *text, *why; } bad[] = {
        { "", "invalid JSON" },
        { "{", "invalid JSON" },
        { "[1,2]", "not a JSON object" },
        { "{\"shell_port\":1}", "\"control_port\" is missing" },
        { "{\"transport\":\"udp\",\"shell_port\":1,\"iopub_port\":2,\"stdin_port\":3,\"control_port\":4,\"hb_port\":5}",
          "unsupported transport" },
        { "{\"shell_port\":\"1\",\"iopub_port\":2,\"stdin_port\":3,\"control_port\":4,\"hb_port\":5}",
          "\"shell_port\" is not a port number" },
        { "{\"shell_port\":70000,\"iopub_port\":2,\"stdin_port\":3,\"control_port\":4,\"hb_port\":5}",
          "\"shell_port\" is not a port number" },
        { "{\"shell_port\":0,\"iopub_port\":2,\"stdin_port\":3,\"control_port\":4,\"hb_port\":5}",
          "\"shell_port\" is not a port number" },
        { "{\"ip\":5,\"shell_port\":1,\"iopub_port\":2,\"stdin_port\":3,\"control_port\":4,\"hb_port\":5}",
          "\"ip\" is not a non-empty string" },
        { "{\"ip\":\"1.2.3.4 ; x\",\"shell_port\":1,\"iopub_port\":2,\"stdin_port\":3,\"control_port\":4,\"hb_port\":5}",
          "space" },
        { "{\"key\":7,\"shell_port\":1,\"iopub_port\":2,\"stdin_port\":3,\"control_port\":4,\"hb_port\":5}",
          "\"key\" is not a string" },
        { "{\"signature_scheme\":[],\"shell_port\":1,\"iopub_port\":2,\"stdin_port\":3,\"control_port\":4,\"hb_port\":5}",
          "\"signature_scheme\" is not a string" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kn_conn c;
        char err[300] = "";
        CHECK(parse(bad[i].text, &c, err, sizeof err) == -1);
        if (!strstr(err, bad[i].why)) fprintf(stderr, "    case %zu: got \"%s\"\n", i, err);
        CHECK(strstr(err, bad[i].why) != NULL);
        CHECK(c.ip == NULL && c.key == NULL);
    }
}

TEST(load_from_disk_and_missing_file) {
    char path[] = "/tmp/cgpu-conn-test-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(write(fd, GOOD_TCP, strlen(GOOD_TCP)) == (ssize_t)strlen(GOOD_TCP));
    close(fd);
    kn_conn c;
    char err[600];
    CHECK(kn_conn_load(path, &c, err, sizeof err) == 0);
    CHECK(c.port[KN_PORT_HB] == 50005);
    kn_conn_clear(&c);
    unlink(path);
    CHECK(kn_conn_load(path, &c, err, sizeof err) == -1);
    CHECK(strstr(err, path) != NULL && strstr(err, "No such file") != NULL);

    /* an error message never contains the key */
    char p2[] = "/tmp/cgpu-conn-test-XXXXXX";
    fd = mkstemp(p2);
    const char *t = "{\"key\":\"TOPSECRET\",\"shell_port\":1,\"iopub_port\":2,\"stdin_port\":3,\"control_port\":4,\"hb_port\":99999}";
    CHECK(write(fd, t, strlen(t)) == (ssize_t)strlen(t));
    close(fd);
    CHECK(kn_conn_load(p2, &c, err, sizeof err) == -1);
    CHECK(strstr(err, "TOPSECRET") == NULL);
    CHECK(strstr(err, "hb_port") != NULL);
    unlink(p2);
}

int main(void) {
    RUN(parses_a_jupyter_tcp_file);
    RUN(ipc_and_ipv6_endpoints);
    RUN(bad_files_are_refused_with_a_reason);
    RUN(load_from_disk_and_missing_file);
    return test_summary();
}

namespace Sluice.Rules.Acls;

/// <summary>The ACLs every proxy has without declaring them (configuration.txt §7.4).</summary>
internal static class PredefinedAcls
{
    private static readonly Dictionary<string, Acl> Table = Build();

    public static Acl? Find(string name) => Table.GetValueOrDefault(name);

    private static Dictionary<string, Acl> Build()
    {
        var definitions = new (string Name, string[] Words)[]
        {
            ("FALSE", ["always_false"]),
            ("TRUE", ["always_true"]),
            ("LOCALHOST", ["src", "127.0.0.1/8", "::1"]),
            ("HTTP", ["req.proto_http"]),
            ("HTTP_1.0", ["req.ver", "1.0"]),
            ("HTTP_1.1", ["req.ver", "1.1"]),
            ("HTTP_2.0", ["req.ver", "2.0"]),
            ("HTTP_CONTENT", ["hdr_val(content-length)", "gt", "0"]),
            ("HTTP_URL_ABS", ["url_reg", "^[^/:]*://"]),
            ("HTTP_URL_SLASH", ["url_beg", "/"]),
            ("HTTP_URL_STAR", ["url", "*"]),
            ("METH_CONNECT", ["method", "CONNECT"]),
            ("METH_DELETE", ["method", "DELETE"]),
            ("METH_GET", ["method", "GET", "HEAD"]),
            ("METH_HEAD", ["method", "HEAD"]),
            ("METH_OPTIONS", ["method", "OPTIONS"]),
            ("METH_POST", ["method", "POST"]),
            ("METH_PUT", ["method", "PUT"]),
            ("METH_TRACE", ["method", "TRACE"]),
            ("RDP_COOKIE", ["req_rdp_cookie_cnt", "gt", "0"]),
            ("REQ_CONTENT", ["req.len", "gt", "0"]),
            ("WAIT_END", ["wait_end"]),
        };
        var table = new Dictionary<string, Acl>(StringComparer.Ordinal);
        foreach (var (name, words) in definitions)
        {
            var entry = AclParser.Parse(words, 0, words.Length, [], out var error)
                ?? throw new InvalidOperationException($"predefined ACL {name}: {error}");
            var acl = new Acl(name);
            acl.Add(entry);
            table[name] = acl;
        }

        return table;
    }
}

namespace Sluice.Rules.Acls;

/// <summary>
/// The ACLs every proxy has without declaring them (configuration.txt §7.4). As in HAProxy, each use is an ACL of
/// its own, parsed where it is used, with its own pattern reference (`show acl` lists it at that line).
/// </summary>
internal static class PredefinedAcls
{
    private static readonly Dictionary<string, string[]> Definitions = new(StringComparer.Ordinal)
    {
        ["FALSE"] = ["always_false"],
        ["TRUE"] = ["always_true"],
        ["LOCALHOST"] = ["src", "127.0.0.1/8", "::1"],
        ["HTTP"] = ["req.proto_http"],
        ["HTTP_1.0"] = ["req.ver", "1.0"],
        ["HTTP_1.1"] = ["req.ver", "1.1"],
        ["HTTP_2.0"] = ["req.ver", "2.0"],
        ["HTTP_CONTENT"] = ["hdr_val(content-length)", "gt", "0"],
        ["HTTP_URL_ABS"] = ["url_reg", "^[^/:]*://"],
        ["HTTP_URL_SLASH"] = ["url_beg", "/"],
        ["HTTP_URL_STAR"] = ["url", "*"],
        ["METH_CONNECT"] = ["method", "CONNECT"],
        ["METH_DELETE"] = ["method", "DELETE"],
        ["METH_GET"] = ["method", "GET", "HEAD"],
        ["METH_HEAD"] = ["method", "HEAD"],
        ["METH_OPTIONS"] = ["method", "OPTIONS"],
        ["METH_POST"] = ["method", "POST"],
        ["METH_PUT"] = ["method", "PUT"],
        ["METH_TRACE"] = ["method", "TRACE"],
        ["RDP_COOKIE"] = ["req_rdp_cookie_cnt", "gt", "0"],
        ["REQ_CONTENT"] = ["req.len", "gt", "0"],
        ["WAIT_END"] = ["wait_end"],
    };

    public static bool Exists(string name) => Definitions.ContainsKey(name);

    /// <summary>A new ACL for one use of a predefined name; null when the name is not one.</summary>
    public static Acl? Find(string name)
    {
        if (!Definitions.TryGetValue(name, out var words))
        {
            return null;
        }

        var entry = AclParser.Parse(words, 0, words.Length, [], out var error)
            ?? throw new InvalidOperationException($"predefined ACL {name}: {error}");
        var acl = new Acl(name);
        acl.Add(entry);
        return acl;
    }
}

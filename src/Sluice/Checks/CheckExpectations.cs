using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Sluice.Config.Model;

namespace Sluice.Checks;

/// <summary>What an expect step makes of the bytes read so far.</summary>
internal enum ExpectDecision
{
    /// <summary>More bytes are needed to decide.</summary>
    Wait = 0,
    /// <summary>The rule passed: the next step runs.</summary>
    Pass = 1,
    /// <summary>The rule failed: the check ends with the result.</summary>
    Fail = 2,
}

/// <summary>
/// Judges `tcp-check expect` steps and the steps of the protocol checks (HAProxy's <c>tcpcheck_eval_expect</c> and
/// its custom MySQL and LDAP functions), with HAProxy's statuses and info texts.
/// </summary>
internal static class CheckExpectations
{
    /// <param name="last">Nothing more will be read (end of stream or full buffer): the rule must decide now.</param>
    /// <param name="protocol">The option that set the rules: a user's ruleset gets HAProxy's generic info texts.</param>
    public static (ExpectDecision Decision, CheckResult? Result) Evaluate(CheckExpectRule rule, Regex? regex, ReadOnlySpan<byte> data, bool last, CheckProtocol protocol)
    {
        switch (rule.Kind)
        {
            case CheckExpectKind.MysqlHandshake:
                return MysqlPacket(rule, data, 0, last);
            case CheckExpectKind.MysqlOk:
                return MysqlPacket(rule, data, data.Length >= 3 ? 4 + (data[0] | (data[1] << 8) | (data[2] << 16)) : 0, last);
            case CheckExpectKind.LdapBindResponse:
                return LdapBindResponse(data);
        }

        if (!last && ((rule.Kind is CheckExpectKind.String or CheckExpectKind.Binary && data.Length < rule.Data.Length)
            || (rule.MinRecv > 0 && data.Length < rule.MinRecv)))
        {
            return (ExpectDecision.Wait, null);
        }

        var match = rule.Kind switch
        {
            CheckExpectKind.String or CheckExpectKind.Binary => data.IndexOf(rule.Data) >= 0,
            CheckExpectKind.RString => regex!.IsMatch(Encoding.Latin1.GetString(data)),
            _ => regex!.IsMatch(Convert.ToHexString(data)),
        };

        // Without min-recv a mismatch may still become a match with more bytes.
        if (!match && !last && rule.MinRecv == -1)
        {
            return (ExpectDecision.Wait, null);
        }

        if (match != rule.Negated)
        {
            return (ExpectDecision.Pass, null);
        }

        var info = Info(rule.OnError, rule.OnErrorSource, data);
        if (info is null && protocol == CheckProtocol.Tcp)
        {
            var what = rule.Kind switch
            {
                CheckExpectKind.String => $" '{rule.Pattern}'",
                CheckExpectKind.Binary => " (binary)",
                CheckExpectKind.RString => " (regex)",
                _ => " (binary regex)",
            };
            info = $"{(match ? "TCPCHK matched unwanted content" : "TCPCHK did not match content")}{what} at step {rule.Step}";
        }

        info = info is null ? null : CheckProbe.WithComment(info, rule, quoted: false);
        return (ExpectDecision.Fail, new CheckResult(rule.ErrorStatus ?? CheckStatus.L7Response, Code(rule, data), info));
    }

    /// <summary>The result when a ruleset ends on this expect step.</summary>
    public static CheckResult Success(CheckExpectRule rule, ReadOnlySpan<byte> data, CheckProtocol protocol) =>
        new(rule.OkStatus ?? CheckStatus.L7Ok, Code(rule, data), Info(rule.OnSuccess, rule.OnSuccessSource, data) ?? (protocol == CheckProtocol.Tcp ? "(tcp-check)" : null));

    /// <summary>`status-code res.payload(0,3)` (`option smtpchk`): the reply code; 0 otherwise.</summary>
    private static int Code(CheckExpectRule rule, ReadOnlySpan<byte> data) =>
        rule.CodeFromFirstDigits && data.Length >= 3 && int.TryParse(data[..3], NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : 0;

    private static string? Info(string? literal, CheckInfoSource source, ReadOnlySpan<byte> data)
    {
        switch (source)
        {
            case CheckInfoSource.FirstLine:
                return Encoding.Latin1.GetString(CutAtLineEnd(data));
            case CheckInfoSource.FirstLineAfterCode:
                var rest = data.Length > 4 ? data[4..] : [];
                return Encoding.Latin1.GetString(CutAtLineEnd(rest.TrimStart((byte)' ')));
            case CheckInfoSource.FromSeventhByte:
                // A PostgreSQL ErrorResponse: its fields are NUL-terminated strings; the text stops at the first NUL.
                var fields = data.Length > 6 ? data[6..] : [];
                var end = fields.IndexOf((byte)0);
                return Encoding.Latin1.GetString(end < 0 ? fields : fields[..end]);
            default:
                return literal;
        }
    }

    /// <summary>HAProxy's <c>cut_crlf</c>: the bytes before the first CR or LF.</summary>
    private static ReadOnlySpan<byte> CutAtLineEnd(ReadOnlySpan<byte> data)
    {
        var end = data.IndexOfAny((byte)'\r', (byte)'\n');
        return end < 0 ? data : data[..end];
    }

    /// <summary>
    /// A MySQL packet at <paramref name="offset"/>: 3 bytes of length (little endian), a sequence number, the payload.
    /// An error packet (payload starting 0xFF) fails as L7STS with its code and message (HAProxy 2.6 reports no info
    /// on success).
    /// </summary>
    private static (ExpectDecision, CheckResult?) MysqlPacket(CheckExpectRule rule, ReadOnlySpan<byte> data, int offset, bool last)
    {
        if (data.Length < offset + 4)
        {
            return last ? (ExpectDecision.Fail, new CheckResult(CheckStatus.L7Response)) : (ExpectDecision.Wait, null);
        }

        var length = data[offset] | (data[offset + 1] << 8) | (data[offset + 2] << 16);
        if (data.Length < offset + length + 4)
        {
            return last ? (ExpectDecision.Fail, new CheckResult(CheckStatus.L7Response)) : (ExpectDecision.Wait, null);
        }

        if (length > 0 && data[offset + 4] == 0xFF)
        {
            var code = data.Length >= offset + 7 ? data[offset + 5] | (data[offset + 6] << 8) : 0;
            var message = data.Length > offset + 7 ? Encoding.Latin1.GetString(data[(offset + 7)..]) : null;
            return (ExpectDecision.Fail, new CheckResult(CheckStatus.L7Status, code, message));
        }

        return (ExpectDecision.Pass, new CheckResult(rule.OkStatus ?? CheckStatus.L7Ok));
    }

    /// <summary>
    /// An LDAPv3 bind response (RFC 4511 §4.2.2, BER): a SEQUENCE with message id 1 and protocolOp 0x61, whose
    /// ldapResult (§4.1.9) begins with the ENUMERATED resultCode; 0 is success.
    /// </summary>
    private static (ExpectDecision, CheckResult?) LdapBindResponse(ReadOnlySpan<byte> data)
    {
        var notLdap = (ExpectDecision.Fail, (CheckResult?)new CheckResult(CheckStatus.L7Response, Info: "Not LDAPv3 protocol"));
        if (data.Length < 2)
        {
            return notLdap;
        }

        var extra = (data[1] & 0x80) != 0 ? data[1] & 0x7F : 0;
        if (extra > 2 || data.Length < 2 + extra + 4 || !data.Slice(2 + extra, 4).SequenceEqual(new byte[] { 0x02, 0x01, 0x01, 0x61 }))
        {
            return notLdap;
        }

        if (data.Length <= extra + 6)
        {
            return notLdap;
        }

        extra += (data[extra + 6] & 0x80) != 0 ? data[extra + 6] & 0x7F : 0;
        if (extra > 4 || data.Length < extra + 10 || data[7 + extra] != 0x0A || data[8 + extra] != 0x01)
        {
            return notLdap;
        }

        var code = data[extra + 9];
        return code == 0
            ? (ExpectDecision.Pass, new CheckResult(CheckStatus.L7Ok))
            : (ExpectDecision.Fail, new CheckResult(CheckStatus.L7Status, code, "See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9"));
    }
}

using System.Text;
using Sluice.Logging;
using Sluice.Messages;
using Sluice.Rules.Acls;
using Sluice.Rules.Samples;

namespace Sluice.Rules.Actions;

/// <summary>What an `http-request|http-response` rule does to a map or ACL file.</summary>
internal enum PatternUpdate
{
    /// <summary>`set-map(FILE) KEY VALUE`: the key takes the value, added when absent.</summary>
    SetMap,

    /// <summary>`del-map(FILE) KEY`.</summary>
    DeleteMap,

    /// <summary>`add-acl(FILE) KEY`: added unless present.</summary>
    AddAcl,

    /// <summary>`del-acl(FILE) KEY`.</summary>
    DeleteAcl,
}

/// <summary>
/// `set-map`, `del-map`, `add-acl`, `del-acl`: changes the entries of the pattern reference read from FILE, as the
/// runtime API does, for the requests after this one. The reference is found by file name when the rule first runs
/// (a file no map or ACL reads is none, and the rule does nothing, as in HAProxy); keys and values are the
/// formats' text. Each change compiles the maps and ACLs that use the file again (a value change only swaps the
/// values), under the configuration's one lock for pattern changes.
/// </summary>
internal sealed class PatternUpdateAction(PatternUpdate kind, string file, LogFormat key, LogFormat? value, PatternReferences references) : HttpAction
{
    private PatternReference? _reference;
    private bool _looked;

    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result)
    {
        var output = ctx.FormatOutput;
        output.ResetWrittenCount();
        key.Render(ctx, output);
        var keyText = Encoding.Latin1.GetString(output.WrittenSpan);
        string? valueText = null;
        if (value is not null)
        {
            output.ResetWrittenCount();
            value.Render(ctx, output);
            valueText = Encoding.Latin1.GetString(output.WrittenSpan);
        }

        lock (references.Lock)
        {
            if (!_looked)
            {
                var map = kind is PatternUpdate.SetMap or PatternUpdate.DeleteMap;
                _reference = references.FindFile(file, map) ?? references.FindFile(file, !map);
                _looked = true;
            }

            switch (kind)
            {
                case PatternUpdate.SetMap:
                    _reference?.SetOrAdd(keyText, valueText!);
                    break;
                case PatternUpdate.AddAcl:
                    _reference?.AddIfAbsent(keyText);
                    break;
                default:
                    _reference?.DeleteKey(keyText);
                    break;
            }
        }

        return RuleVerdict.Continue;
    }
}

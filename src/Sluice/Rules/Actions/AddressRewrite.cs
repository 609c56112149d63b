using Sluice.Messages;
using System.Net;
using Sluice.Rules.Samples;

namespace Sluice.Rules.Actions;

/// <summary>Which address of the connection `set-src`, `set-src-port`, `set-dst` or `set-dst-port` replaces.</summary>
internal enum AddressPart : byte
{
    Source,
    SourcePort,
    Destination,
    DestinationPort,
}

internal static class AddressParts
{
    public static AddressPart FromActionName(string name) => name switch
    {
        "set-src" => AddressPart.Source,
        "set-src-port" => AddressPart.SourcePort,
        "set-dst" => AddressPart.Destination,
        _ => AddressPart.DestinationPort,
    };
}

/// <summary>
/// `set-src EXPR` and its siblings: the connection's addresses as every later rule, log line, `X-Forwarded-For`
/// and `balance source` see them. As in haproxy 2.6 an address keeps the port, a port keeps the address, and a
/// value that is not an address (or a port) leaves them as they were.
/// </summary>
internal static class AddressRewrite
{
    public static void Apply(SampleContext ctx, AddressPart part, SampleExpression expression)
    {
        if (!expression.TryEvaluate(ctx, out var value))
        {
            return;
        }

        var source = part is AddressPart.Source or AddressPart.SourcePort;
        var current = (source ? ctx.ClientEndPoint : ctx.LocalEndPoint) as IPEndPoint;
        IPEndPoint updated;
        if (part is AddressPart.Source or AddressPart.Destination)
        {
            if (!SampleCasts.TryCast(ctx, ref value, SampleType.Address) || !value.TryGetAddress(out var address) || address is null)
            {
                return;
            }

            // Allocates: an address rewrite is a rare action, and the endpoint outlives the request.
            updated = new IPEndPoint(address, current?.Port ?? 0);
        }
        else
        {
            if (!SampleCasts.TryCast(ctx, ref value, SampleType.Int) || value.Integer is < 0 or > 65535)
            {
                return;
            }

            updated = new IPEndPoint(current?.Address ?? IPAddress.Any, (int)value.Integer);
        }

        if (source)
        {
            ctx.ClientEndPoint = updated;
        }
        else
        {
            ctx.LocalEndPoint = updated;
        }
    }
}

/// <summary>`http-request set-src|set-src-port|set-dst|set-dst-port EXPR`.</summary>
internal sealed class SetAddressAction(AddressPart part, SampleExpression expression) : HttpAction
{
    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result)
    {
        AddressRewrite.Apply(ctx, part, expression);
        return RuleVerdict.Continue;
    }
}

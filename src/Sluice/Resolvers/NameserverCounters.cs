using System.Globalization;
using System.Text;
using Sluice.Config.Model;

namespace Sluice.Resolvers;

/// <summary>What one name server of a `resolvers` section was sent and answered, as `show resolvers` lists it.</summary>
internal sealed class NameserverCounters
{
    private long _sent;
    private long _sendErrors;
    private long _valid;
    private long _updates;
    private long _anyErrors;
    private long _nx;
    private long _timeouts;
    private long _refused;
    private long _other;
    private long _invalid;
    private long _truncated;

    public void Sent() => Interlocked.Increment(ref _sent);

    public void SendFailed() => Interlocked.Increment(ref _sendErrors);

    public void TimedOut() => Interlocked.Increment(ref _timeouts);

    public void Invalid() => Interlocked.Increment(ref _invalid);

    /// <summary>A server's address was changed by this name server's answer.</summary>
    public void Updated() => Interlocked.Increment(ref _updates);

    /// <summary>Counts an answer by its outcome; a truncated one counts as such too.</summary>
    public void Answered(ResolutionStatus status, bool truncated)
    {
        switch (status)
        {
            case ResolutionStatus.Valid:
                Interlocked.Increment(ref _valid);
                break;
            case ResolutionStatus.NxDomain:
                Interlocked.Increment(ref _nx);
                break;
            case ResolutionStatus.Refused:
                Interlocked.Increment(ref _refused);
                break;
            case ResolutionStatus.NoAddress:
                Interlocked.Increment(ref _anyErrors);
                break;
            default:
                Interlocked.Increment(ref _other);
                break;
        }

        if (truncated)
        {
            Interlocked.Increment(ref _truncated);
        }
    }

    /// <summary>The counters of every `resolvers` section, in HAProxy's `show resolvers` layout.</summary>
    public static void Write(StringBuilder output, ResolversConfig resolvers, IReadOnlyList<NameserverCounters>? counters)
    {
        output.Append("Resolvers section ").Append(resolvers.Name).Append('\n');
        for (var i = 0; i < resolvers.Nameservers.Count; i++)
        {
            var c = counters?[i] ?? new NameserverCounters();
            output.Append(" nameserver ").Append(resolvers.Nameservers[i].Name).Append(":\n");
            Line("sent", c._sent);
            Line("snd_error", c._sendErrors);
            Line("valid", c._valid);
            Line("update", c._updates);
            Line("cname", 0);
            Line("cname_error", 0);
            Line("any_err", c._anyErrors);
            Line("nx", c._nx);
            Line("timeout", c._timeouts);
            Line("refused", c._refused);
            Line("other", c._other);
            Line("invalid", c._invalid);
            Line("too_big", 0);
            Line("truncated", c._truncated);
            Line("outdated", 0);
        }

        void Line(string name, long value) =>
            output.Append("  ").Append((name + ":").PadRight(13)).Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }
}

using System.Buffers;
using Sluice.Backends;
using Sluice.Mux.Tcp;
using Sluice.Rules.Actions;
using Sluice.Rules.Samples;

namespace Sluice.Transactions;

/// <summary>
/// A mode tcp backend's `tcp-response content` rules on the server's first bytes, then its `stick` store rules
/// once they accepted (HAProxy's response analysers in that order; a rejected response stores nothing).
/// </summary>
internal sealed class TcpResponseInspection(BackendState backend, ServerState server, SampleContext samples, int bufferSize) : IResponseInspector
{
    /// <summary>Whether <paramref name="backend"/> needs the server's first bytes before forwarding them.</summary>
    public static bool Needed(BackendState backend) =>
        backend.Config.TcpResponseRules.Count > 0 || backend.Stick is { HasResponseRules: true };

    public long DelayMs => (long)backend.Config.ResponseInspectDelay.TotalMilliseconds;

    public ResponseVerdict Inspect(ReadOnlySequence<byte> received, bool final)
    {
        samples.ResponsePayload = received;
        samples.PayloadCapacity = bufferSize;
        samples.PayloadComplete = final;
        try
        {
            var verdict = TcpRuleRunner.Run(backend.Config.TcpResponseRules, samples);
            switch (verdict)
            {
                case TcpVerdict.NeedMoreData:
                    return ResponseVerdict.NeedMoreData;
                case TcpVerdict.Reject:
                    return ResponseVerdict.Reject;
            }

            samples.PayloadComplete = true;
            backend.Stick?.Store(samples, server, Environment.TickCount64);
            return verdict == TcpVerdict.Close ? ResponseVerdict.CloseServer : ResponseVerdict.Forward;
        }
        finally
        {
            // The bytes are the tunnel's buffer, which it reuses once this returns.
            samples.ResponsePayload = default;
        }
    }
}

using System.Buffers;
using System.IO.Pipelines;
using Sluice.Protocols.Http2;

namespace Sluice.Mux.Http2;

/// <summary>What the first bytes of a cleartext connection say about its protocol.</summary>
internal enum PrefaceOutcome
{
    /// <summary>Anything but the HTTP/2 preface (or nothing at all, the client closed): HTTP/1.</summary>
    Http1 = 0,
    /// <summary>The 24 bytes of the HTTP/2 client connection preface.</summary>
    Http2 = 1,
    /// <summary>The wait was cancelled (a timeout) before the bytes decided.</summary>
    Cancelled = 2,
}

/// <summary>Looks at the first bytes of a connection without consuming them (RFC 9113 §3.3, prior knowledge).</summary>
internal static class Http2Preface
{
    /// <summary>
    /// Reads until the bytes received differ from the preface or hold all of it, then puts them back: the next read
    /// of <paramref name="input"/> returns them again, to whichever mux is chosen.
    /// </summary>
    public static async ValueTask<PrefaceOutcome> PeekAsync(PipeReader input)
    {
        while (true)
        {
            var result = await input.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            var outcome = Classify(buffer);
            if (outcome is not null)
            {
                input.AdvanceTo(buffer.Start);
                return outcome.Value;
            }

            if (result.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                return PrefaceOutcome.Cancelled;
            }

            if (result.IsCompleted)
            {
                input.AdvanceTo(buffer.Start);
                return PrefaceOutcome.Http1;
            }

            // A prefix of the preface: wait for more.
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>The protocol the bytes select, or null when they are a strict prefix of the preface (or empty).</summary>
    internal static PrefaceOutcome? Classify(ReadOnlySequence<byte> buffer)
    {
        var preface = Http2Protocol.ClientPreface;
        var length = (int)Math.Min(buffer.Length, preface.Length);
        Span<byte> head = stackalloc byte[preface.Length];
        buffer.Slice(0, length).CopyTo(head);
        if (!head[..length].SequenceEqual(preface[..length]))
        {
            return PrefaceOutcome.Http1;
        }

        return length == preface.Length ? PrefaceOutcome.Http2 : null;
    }
}

namespace Sluice.Protocols.Http1;

/// <summary>
/// The whole memory of <see cref="Http1HeadParser"/> between two calls. Warning: mutable struct; keep it in a
/// field and pass it by reference.
/// </summary>
/// <remarks>
/// Invariants: <c>0 &lt;= ScanOffset</c>, and the next call receives a buffer that starts at the position
/// returned as consumed by the previous call, so the first <c>ScanOffset</c> bytes of it were already searched
/// for a line terminator and are not searched again.
/// </remarks>
public struct Http1HeadState
{
    internal Http1HeadPhase Phase;
    internal int ScanOffset;
    internal int SectionBytes;
    internal bool FieldsOnly;

    /// <summary>A state for a message head that starts with a request or status line (same as <c>default</c>).</summary>
    public static Http1HeadState ForHead() => default;

    /// <summary>A state for a field section alone (trailers).</summary>
    public static Http1HeadState ForFieldSection() => new() { Phase = Http1HeadPhase.Fields, FieldsOnly = true };

    /// <summary>Field lines delivered so far.</summary>
    public int HeaderCount { readonly get; internal set; }

    /// <summary>Bytes consumed so far by this head (start line, field lines, final empty line).</summary>
    public long HeadLength { readonly get; internal set; }

    /// <summary>Version read from the start line, or <see cref="Http1Version.Unknown"/>.</summary>
    public Http1Version Version { readonly get; internal set; }

    /// <summary>Why the head was rejected, once a call returned <see cref="Http1ParseStatus.Rejected"/>.</summary>
    public Http1RejectReason RejectReason { readonly get; internal set; }

    /// <summary>Offset, from the first byte of the head, of the line that caused the reject (for error snapshots).</summary>
    public long ErrorOffset { readonly get; internal set; }

    /// <summary>True once the empty line that ends the head was consumed.</summary>
    public readonly bool IsComplete => Phase == Http1HeadPhase.Complete;
}

internal enum Http1HeadPhase
{
    StartLine = 0,
    Fields = 1,
    Complete = 2,
    Rejected = 3,
}

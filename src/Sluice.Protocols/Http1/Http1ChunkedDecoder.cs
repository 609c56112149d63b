using System.Buffers;
using System.Runtime.CompilerServices;
using Sluice.Protocols.Text;

namespace Sluice.Protocols.Http1;

/// <summary>Outcome of one call to <see cref="Http1ChunkedDecoder.Read"/>.</summary>
public enum Http1ChunkedStatus
{
    /// <summary>Chunk data is available in the data output; consumed points just after it.</summary>
    Data = 1,

    /// <summary>More input is needed; framing bytes before consumed were read.</summary>
    NeedMoreData,

    /// <summary>The last chunk and the trailer section were read; consumed points just after the final CRLF.</summary>
    Complete,

    /// <summary>The framing is invalid (<see cref="Http1ChunkedDecoder.RejectReason"/>); the connection must close.</summary>
    Rejected,
}

/// <summary>
/// Resumable decoder of the chunked transfer coding (RFC 9112 §7.1). Warning: mutable struct; one per message
/// body, <c>default</c> is a fresh decoder; keep it in a field and call it by reference.
/// </summary>
/// <remarks>
/// <para>Contract of <see cref="Read"/>: <c>buffer</c> starts at the previous call's consumed position.</para>
/// <list type="bullet">
/// <item><description><see cref="Http1ChunkedStatus.Data"/>: <c>data</c> is a slice of <c>buffer</c> holding chunk
/// payload (never empty, never beyond the current chunk); <c>consumed</c> is its end.</description></item>
/// <item><description><see cref="Http1ChunkedStatus.NeedMoreData"/>: size lines and CRLFs before <c>consumed</c>
/// were checked; a partial framing element stays in the buffer; <c>examined</c> is the buffer end.</description></item>
/// <item><description><see cref="Http1ChunkedStatus.Complete"/>: trailer fields went to the handler, then
/// <see cref="IHttp1HeadersHandler.OnHeadersComplete"/>; the next message stays in the buffer after <c>consumed</c>.</description></item>
/// <item><description><see cref="Http1ChunkedStatus.Rejected"/>: see <see cref="RejectReason"/>.</description></item>
/// </list>
/// <para>Rules: chunk-size is 1 to 13 HEXDIG (at most 2^52 - 1, HAProxy's bound) with no sign, prefix or
/// whitespace before it; CRLF is mandatory after the size line and after the data, bare LF and bare CR are
/// refused in every framing line, trailers included (RFC 9112 §7.1, erratum 7633; Kestrel CVE-2025-55315);
/// chunk extensions are checked (<see cref="Http1ChunkExtensions.IsValid"/>) and bounded per line by
/// <see cref="Http1ParserOptions.MaxChunkExtensionLength"/>, then dropped. Trailers follow the header rules
/// and limits. The size line search resumes where it stopped, so byte-at-a-time input is examined at most twice.</para>
/// </remarks>
public struct Http1ChunkedDecoder
{
    /// <summary>Most hex digits in a chunk size: 13 digits hold 2^52 - 1 (HAProxy h1_parse_chunk_size).</summary>
    public const int MaxChunkSizeDigits = 13;

    private Phase _phase;
    private long _chunkRemaining;
    private int _scanOffset;
    private Http1HeadState _trailers;

    private enum Phase
    {
        SizeLine = 0,
        Data,
        DataEnd,
        Trailers,
        Complete,
        Rejected,
    }

    /// <summary>Why the body was rejected, after <see cref="Http1ChunkedStatus.Rejected"/>.</summary>
    public Http1RejectReason RejectReason { readonly get; private set; }

    /// <summary>True once the last chunk and the trailers were read.</summary>
    public readonly bool IsComplete => _phase == Phase.Complete;

    /// <summary>Payload bytes of the current chunk not delivered yet.</summary>
    public readonly long ChunkRemaining => _chunkRemaining;

    /// <summary>Trailer fields seen so far.</summary>
    public readonly int TrailerCount => _trailers.HeaderCount;

    /// <summary>Reads framing up to the next piece of data, the end of the body, or an error. See the remarks.</summary>
    public Http1ChunkedStatus Read<THandler>(
        in ReadOnlySequence<byte> buffer,
        ref THandler trailerHandler,
        Http1ParserOptions options,
        out ReadOnlySequence<byte> data,
        out SequencePosition consumed,
        out SequencePosition examined)
        where THandler : struct, IHttp1HeadersHandler
    {
        data = default;
        ReadOnlySequence<byte> remaining = buffer;
        while (true)
        {
            switch (_phase)
            {
                case Phase.SizeLine:
                {
                    long lineLength = Http1HeadParser.FindLineEnd(remaining, ref _scanOffset, fold: false);

                    // Length and digit checks run on the partial line as well as on the complete one, in the same
                    // order, so that the outcome does not depend on how the input was cut.
                    long pending = lineLength < 0 ? remaining.Length : lineLength - 1;
                    Http1RejectReason early = CheckSizeLinePrefix(remaining, pending, options);
                    if (early != Http1RejectReason.None)
                    {
                        return Reject(early, remaining, out consumed, out examined);
                    }

                    if (lineLength < 0)
                    {
                        consumed = remaining.Start;
                        examined = buffer.End;
                        return Http1ChunkedStatus.NeedMoreData;
                    }

                    ReadOnlySpan<byte> first = remaining.FirstSpan;
                    Http1RejectReason reason = lineLength <= first.Length
                        ? ParseSizeLine(first.Slice(0, (int)lineLength), options)
                        : ParseSplitSizeLine(remaining.Slice(0, lineLength), options);
                    if (reason != Http1RejectReason.None)
                    {
                        return Reject(reason, remaining, out consumed, out examined);
                    }

                    _scanOffset = 0;
                    remaining = remaining.Slice(lineLength);
                    break;
                }

                case Phase.Data:
                {
                    if (remaining.IsEmpty)
                    {
                        consumed = remaining.Start;
                        examined = buffer.End;
                        return Http1ChunkedStatus.NeedMoreData;
                    }

                    long take = Math.Min(remaining.Length, _chunkRemaining);
                    data = remaining.Slice(0, take);
                    _chunkRemaining -= take;
                    if (_chunkRemaining == 0)
                    {
                        _phase = Phase.DataEnd;
                    }

                    consumed = data.End;
                    examined = consumed;
                    return Http1ChunkedStatus.Data;
                }

                case Phase.DataEnd:
                {
                    // RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF.
                    ReadOnlySpan<byte> first = remaining.FirstSpan;
                    if (remaining.IsEmpty)
                    {
                        consumed = remaining.Start;
                        examined = buffer.End;
                        return Http1ChunkedStatus.NeedMoreData;
                    }

                    byte b0 = first[0];
                    if (b0 != (byte)'\r')
                    {
                        return Reject(Http1RejectReason.InvalidChunkTerminator, remaining, out consumed, out examined);
                    }

                    if (remaining.Length < 2)
                    {
                        consumed = remaining.Start;
                        examined = buffer.End;
                        return Http1ChunkedStatus.NeedMoreData;
                    }

                    byte b1 = first.Length >= 2 ? first[1] : remaining.Slice(1).FirstSpan[0];
                    if (b1 != (byte)'\n')
                    {
                        return Reject(Http1RejectReason.InvalidChunkTerminator, remaining, out consumed, out examined);
                    }

                    remaining = remaining.Slice(2);
                    _phase = Phase.SizeLine;
                    break;
                }

                case Phase.Trailers:
                {
                    // RFC 9112 §7.1.2: trailer-section = *( field-line CRLF ), same rules as the header section,
                    // except that bare LF is never accepted inside chunked framing.
                    Http1ParserOptions trailerOptions = options with { Flags = options.Flags & ~Http1ParserFlags.AllowBareLf };
                    Http1ParseStatus status = Http1HeadParser.ParseFieldSection(ref _trailers, remaining, ref trailerHandler, trailerOptions, out consumed, out examined);
                    if (status == Http1ParseStatus.Complete)
                    {
                        _phase = Phase.Complete;
                        return Http1ChunkedStatus.Complete;
                    }

                    if (status == Http1ParseStatus.Rejected)
                    {
                        _phase = Phase.Rejected;
                        RejectReason = _trailers.RejectReason;
                        return Http1ChunkedStatus.Rejected;
                    }

                    examined = buffer.End;
                    return Http1ChunkedStatus.NeedMoreData;
                }

                case Phase.Complete:
                    consumed = remaining.Start;
                    examined = consumed;
                    return Http1ChunkedStatus.Complete;

                default:
                    consumed = remaining.Start;
                    examined = consumed;
                    return Http1ChunkedStatus.Rejected;
            }
        }
    }

    private Http1ChunkedStatus Reject(Http1RejectReason reason, in ReadOnlySequence<byte> remaining, out SequencePosition consumed, out SequencePosition examined)
    {
        _phase = Phase.Rejected;
        RejectReason = reason;
        consumed = remaining.Start;
        examined = consumed;
        return Http1ChunkedStatus.Rejected;
    }

    /// <summary>
    /// Checks the first <paramref name="pending"/> bytes of a size line (CR included, LF excluded): a non-hex first
    /// byte or more than 13 digits is an invalid size; more than digits + extension limit + CR is too long.
    /// Each check stays true for any longer prefix, so a partial line and the whole line give the same answer.
    /// </summary>
    private static Http1RejectReason CheckSizeLinePrefix(in ReadOnlySequence<byte> remaining, long pending, Http1ParserOptions options)
    {
        if (pending <= 0)
        {
            return Http1RejectReason.None;
        }

        int headLength = (int)Math.Min(pending, MaxChunkSizeDigits + 1);
        Span<byte> copy = stackalloc byte[MaxChunkSizeDigits + 1];
        scoped ReadOnlySpan<byte> head = remaining.FirstSpan;
        if (head.Length < headLength)
        {
            remaining.Slice(0, headLength).CopyTo(copy);
            head = copy;
        }

        int digits = HttpCharacters.IndexOfInvalid(head.Slice(0, headLength), HttpCharacters.HexDigit);
        if (digits < 0)
        {
            digits = headLength;
        }

        if (digits == 0 || digits > MaxChunkSizeDigits)
        {
            return Http1RejectReason.InvalidChunkSize;
        }

        long limit = digits + (long)options.MaxChunkExtensionLength;
        bool tooLong = pending > limit + 1 || (pending == limit + 1 && ByteAt(remaining, pending - 1) != (byte)'\r');
        return tooLong ? Http1RejectReason.ChunkExtensionTooLong : Http1RejectReason.None;
    }

    private static byte ByteAt(in ReadOnlySequence<byte> sequence, long index)
    {
        ReadOnlySpan<byte> first = sequence.FirstSpan;
        return index < first.Length ? first[(int)index] : sequence.Slice(index).FirstSpan[0];
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Http1RejectReason ParseSplitSizeLine(in ReadOnlySequence<byte> line, Http1ParserOptions options)
    {
        // Bounded by MaxChunkSizeDigits + MaxChunkExtensionLength + 2, checked by the caller.
        int length = (int)line.Length;
        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            line.CopyTo(rented);
            return ParseSizeLine(rented.AsSpan(0, length), options);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Parses chunk-size [ chunk-ext ] CRLF (LF included in <paramref name="line"/>).</summary>
    private Http1RejectReason ParseSizeLine(ReadOnlySpan<byte> line, Http1ParserOptions options)
    {
        if (line.Length < 2 || line[^2] != (byte)'\r')
        {
            // RFC 9112 §7.1 (erratum 7633): the size line ends with CRLF; a bare LF is a smuggling vector.
            return Http1RejectReason.InvalidChunkTerminator;
        }

        ReadOnlySpan<byte> content = line.Slice(0, line.Length - 2);
        int digits = HttpCharacters.IndexOfInvalid(content, HttpCharacters.HexDigit);
        if (digits < 0)
        {
            digits = content.Length;
        }

        // chunk-size = 1*HEXDIG; "anticipate potentially large hexadecimal numerals and prevent parsing errors
        // due to integer conversion overflows" (§7.1).
        if (digits == 0 || digits > MaxChunkSizeDigits)
        {
            return Http1RejectReason.InvalidChunkSize;
        }

        long size = 0;
        for (int i = 0; i < digits; i++)
        {
            size = (size << 4) | (uint)HttpCharacters.HexValue(content[i]);
        }

        ReadOnlySpan<byte> extensions = content.Slice(digits);
        if (!extensions.IsEmpty)
        {
            // chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ): whitespace after the
            // size is allowed only before ";" ("5 5", "5 " and "5_0" are refused).
            ReadOnlySpan<byte> afterBws = Http1HeadParser.TrimOws(extensions);
            if (afterBws.IsEmpty || afterBws[0] != (byte)';' || HttpCharacters.IsWhitespace(extensions[^1]))
            {
                return afterBws.IsEmpty || afterBws[0] != (byte)';'
                    ? Http1RejectReason.InvalidChunkSize
                    : Http1RejectReason.InvalidChunkExtension;
            }

            // §7.1.1: "A recipient SHOULD ... limit the total length of chunk extensions received".
            if (extensions.Length > options.MaxChunkExtensionLength)
            {
                return Http1RejectReason.ChunkExtensionTooLong;
            }

            if (!Http1ChunkExtensions.IsValid(extensions))
            {
                return Http1RejectReason.InvalidChunkExtension;
            }
        }

        if (size == 0)
        {
            _phase = Phase.Trailers;
            _trailers = Http1HeadState.ForFieldSection();
        }
        else
        {
            _chunkRemaining = size;
            _phase = Phase.Data;
        }

        return Http1RejectReason.None;
    }
}

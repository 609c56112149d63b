namespace Sluice.Rules.Samples;

/// <summary>
/// A fetch followed by its converters (`req.hdr(host),lower,field(1,:)`), compiled once at load. Evaluating it
/// allocates nothing beyond what a converter writes into the context's scratch space.
/// </summary>
internal sealed class SampleExpression
{
    private readonly SampleConverter[] _converters;

    public SampleExpression(string text, SampleFetch fetch, SampleConverter[] converters, SampleSources needs)
    {
        Text = text;
        Fetch = fetch;
        _converters = converters;
        Needs = needs;
    }

    /// <summary>The expression as written, for messages.</summary>
    public string Text { get; }

    public SampleFetch Fetch { get; }

    /// <summary>The sources its fetch reads.</summary>
    public SampleSources Needs { get; }

    public SampleType OutputType => _converters.Length == 0 ? Fetch.OutputType : _converters[^1].OutputType;

    public bool HasConverters => _converters.Length > 0;

    /// <summary>
    /// The next value of the expression. A value that a converter rejects is skipped, as HAProxy does, so a
    /// header occurrence that does not convert does not hide the following ones.
    /// </summary>
    public bool TryNext(SampleContext ctx, ref long state, out Sample sample)
    {
        while (Fetch.Fetch(ctx, ref state, out sample))
        {
            if (ApplyConverters(ctx, ref sample))
            {
                return true;
            }
        }

        sample = default;
        return false;
    }

    /// <summary>The single value of the expression (a fetch with several values gives its last one, as in HAProxy's sample expressions).</summary>
    public bool TryEvaluate(SampleContext ctx, out Sample sample)
    {
        long state = 0;
        return TryNext(ctx, ref state, out sample);
    }

    private bool ApplyConverters(SampleContext ctx, ref Sample sample)
    {
        foreach (var converter in _converters)
        {
            if (!SampleCasts.TryCast(ctx, ref sample, converter.InputType) || !converter.Convert(ctx, ref sample))
            {
                return false;
            }
        }

        return true;
    }

    public override string ToString() => Text;
}

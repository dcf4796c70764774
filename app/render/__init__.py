"""Rendering of answers, reports and profiles to text, Markdown, HTML, DOCX and spreadsheets."""
